//! The messages of PostgreSQL's `pgoutput` logical decoding plugin,
//! protocol version 1, as `pg_logical_slot_get_binary_changes` returns
//! them (one message a row), parsed from their bytes. Input that is cut
//! short, or holds an unknown tag or a length that does not fit, is a
//! [`DecodeError`], never a panic.

use std::fmt;

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    /// A transaction begins.
    Begin {
        /// Its commit record's end.
        final_lsn: u64,
        /// Its commit time (microseconds since 2000-01-01).
        timestamp: i64,
        /// Its 32-bit transaction id.
        xid: u32,
    },
    /// The transaction ends.
    Commit {
        flags: u8,
        commit_lsn: u64,
        end_lsn: u64,
        timestamp: i64,
    },
    /// The transaction came from another origin.
    Origin { lsn: u64, name: String },
    /// A table's shape, sent before its first change.
    Relation(Relation),
    /// A type's name, sent before a relation that uses it.
    Type {
        oid: u32,
        namespace: String,
        name: String,
    },
    /// A row inserted.
    Insert { relation: u32, new: Vec<Value> },
    /// A row updated: its old key (`K`) or whole old row (`O`), if sent,
    /// and its new values.
    Update {
        relation: u32,
        old: Option<Vec<Value>>,
        new: Vec<Value>,
    },
    /// A row deleted: its old key or whole old row.
    Delete { relation: u32, old: Vec<Value> },
    /// Tables truncated.
    Truncate { options: u8, relations: Vec<u32> },
    /// A logical decoding message (`pg_logical_emit_message`).
    Logical {
        flags: u8,
        lsn: u64,
        prefix: String,
        content: Vec<u8>,
    },
}

/// A table as a `Relation` message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    /// The source's oid of the table, which changes refer to.
    pub(crate) id: u32,
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// The replica identity (`d`efault, `n`othing, `f`ull, `i`ndex).
    pub(crate) identity: u8,
    pub(crate) columns: Vec<RelationColumn>,
}

/// A column of a [`Relation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelationColumn {
    /// Whether it is part of the replica identity (the key).
    pub(crate) key: bool,
    pub(crate) name: String,
    pub(crate) type_oid: u32,
    pub(crate) type_modifier: i32,
}

/// One column's value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    /// A TOASTed value that did not change (an update leaves it out).
    Unchanged,
    /// The value in its type's text form.
    Text(String),
    /// The value in its type's binary form (not asked for: protocol 1
    /// sends text).
    Binary(Vec<u8>),
}

/// Bytes that are not a `pgoutput` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// Where in the message the trouble is.
    pub(crate) at: usize,
    /// What was wrong.
    pub(crate) what: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for DecodeError {}

/// Parses one message; bytes left over after it are an error too.
pub(crate) fn parse(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut input = Reader { bytes, at: 0 };
    let message = match input.u8()? {
        b'B' => Message::Begin {
            final_lsn: input.u64()?,
            timestamp: input.i64()?,
            xid: input.u32()?,
        },
        b'C' => Message::Commit {
            flags: input.u8()?,
            commit_lsn: input.u64()?,
            end_lsn: input.u64()?,
            timestamp: input.i64()?,
        },
        b'O' => Message::Origin {
            lsn: input.u64()?,
            name: input.string()?,
        },
        b'R' => Message::Relation(relation(&mut input)?),
        b'Y' => Message::Type {
            oid: input.u32()?,
            namespace: input.string()?,
            name: input.string()?,
        },
        b'I' => {
            let relation = input.u32()?;
            input.expect(b'N', "an insert without its new tuple")?;
            Message::Insert {
                relation,
                new: input.tuple()?,
            }
        }
        b'U' => {
            let relation = input.u32()?;
            let old = match input.u8()? {
                b'K' | b'O' => {
                    let old = input.tuple()?;
                    input.expect(b'N', "an update without its new tuple")?;
                    Some(old)
                }
                b'N' => None,
                _ => return Err(input.error_before("an unknown tuple kind")),
            };
            Message::Update {
                relation,
                old,
                new: input.tuple()?,
            }
        }
        b'D' => {
            let relation = input.u32()?;
            match input.u8()? {
                b'K' | b'O' => {}
                _ => return Err(input.error_before("a delete without its old tuple")),
            }
            Message::Delete {
                relation,
                old: input.tuple()?,
            }
        }
        b'T' => {
            let count = input.u32()?;
            let options = input.u8()?;
            let relations = (0..count).map(|_| input.u32()).collect::<Result<_, _>>()?;
            Message::Truncate { options, relations }
        }
        b'M' => {
            let flags = input.u8()?;
            let lsn = input.u64()?;
            let prefix = input.string()?;
            let length = input.length()?;
            Message::Logical {
                flags,
                lsn,
                prefix,
                content: input.take(length)?.to_vec(),
            }
        }
        _ => return Err(input.error_before("an unknown message tag")),
    };
    if input.at != bytes.len() {
        return Err(input.error("bytes after the message"));
    }
    Ok(message)
}

/// The body of a `Relation` message.
fn relation(input: &mut Reader<'_>) -> Result<Relation, DecodeError> {
    let id = input.u32()?;
    let namespace = input.string()?;
    let name = input.string()?;
    let identity = input.u8()?;
    let count = input.u16()?;
    let columns = (0..count)
        .map(|_| {
            Ok(RelationColumn {
                key: input.u8()? & 1 == 1,
                name: input.string()?,
                type_oid: input.u32()?,
                type_modifier: input.i32()?,
            })
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(Relation {
        id,
        namespace,
        name,
        identity,
        columns,
    })
}

/// A cursor over a message's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> DecodeError {
        DecodeError { at: self.at, what }
    }

    /// An error about the byte just read.
    fn error_before(&self, what: &'static str) -> DecodeError {
        DecodeError {
            at: self.at.saturating_sub(1),
            what,
        }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(count)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.error("the message ends too soon"))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// A 32-bit length, which must not be negative.
    fn length(&mut self) -> Result<usize, DecodeError> {
        let length = self.i32()?;
        usize::try_from(length).map_err(|_| self.error("a negative length"))
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), DecodeError> {
        if self.u8()? == byte {
            Ok(())
        } else {
            Err(self.error_before(what))
        }
    }

    /// A NUL-terminated UTF-8 string.
    fn string(&mut self) -> Result<String, DecodeError> {
        let rest = &self.bytes[self.at..];
        let end = rest
            .iter()
            .position(|&byte| byte == 0)
            .ok_or_else(|| self.error("a string without its end"))?;
        let text = std::str::from_utf8(&rest[..end])
            .map_err(|_| self.error("a string that is not UTF-8"))?
            .to_owned();
        self.at += end + 1;
        Ok(text)
    }

    /// A row's values: a 16-bit count, then each value.
    fn tuple(&mut self) -> Result<Vec<Value>, DecodeError> {
        let count = self.u16()?;
        (0..count)
            .map(|_| {
                Ok(match self.u8()? {
                    b'n' => Value::Null,
                    b'u' => Value::Unchanged,
                    b't' => {
                        let length = self.length()?;
                        let at = self.at;
                        let text =
                            std::str::from_utf8(self.take(length)?).map_err(|_| DecodeError {
                                at,
                                what: "a text value that is not UTF-8",
                            })?;
                        Value::Text(text.to_owned())
                    }
                    b'b' => {
                        let length = self.length()?;
                        Value::Binary(self.take(length)?.to_vec())
                    }
                    _ => return Err(self.error_before("an unknown value kind")),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Writes `message` as `pgoutput` does: the inverse of [`parse`].
    fn encode(message: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, text: &str| {
            out.extend_from_slice(text.as_bytes());
            out.push(0);
        };
        let tuple = |out: &mut Vec<u8>, values: &[Value]| {
            out.extend_from_slice(&(values.len() as u16).to_be_bytes());
            for value in values {
                match value {
                    Value::Null => out.push(b'n'),
                    Value::Unchanged => out.push(b'u'),
                    Value::Text(text) => {
                        out.push(b't');
                        out.extend_from_slice(&(text.len() as i32).to_be_bytes());
                        out.extend_from_slice(text.as_bytes());
                    }
                    Value::Binary(bytes) => {
                        out.push(b'b');
                        out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                        out.extend_from_slice(bytes);
                    }
                }
            }
        };
        match message {
            Message::Begin {
                final_lsn,
                timestamp,
                xid,
            } => {
                out.push(b'B');
                out.extend_from_slice(&final_lsn.to_be_bytes());
                out.extend_from_slice(&timestamp.to_be_bytes());
                out.extend_from_slice(&xid.to_be_bytes());
            }
            Message::Commit {
                flags,
                commit_lsn,
                end_lsn,
                timestamp,
            } => {
                out.push(b'C');
                out.push(*flags);
                out.extend_from_slice(&commit_lsn.to_be_bytes());
                out.extend_from_slice(&end_lsn.to_be_bytes());
                out.extend_from_slice(&timestamp.to_be_bytes());
            }
            Message::Origin { lsn, name } => {
                out.push(b'O');
                out.extend_from_slice(&lsn.to_be_bytes());
                string(&mut out, name);
            }
            Message::Relation(relation) => {
                out.push(b'R');
                out.extend_from_slice(&relation.id.to_be_bytes());
                string(&mut out, &relation.namespace);
                string(&mut out, &relation.name);
                out.push(relation.identity);
                out.extend_from_slice(&(relation.columns.len() as u16).to_be_bytes());
                for column in &relation.columns {
                    out.push(u8::from(column.key));
                    string(&mut out, &column.name);
                    out.extend_from_slice(&column.type_oid.to_be_bytes());
                    out.extend_from_slice(&column.type_modifier.to_be_bytes());
                }
            }
            Message::Type {
                oid,
                namespace,
                name,
            } => {
                out.push(b'Y');
                out.extend_from_slice(&oid.to_be_bytes());
                string(&mut out, namespace);
                string(&mut out, name);
            }
            Message::Insert { relation, new } => {
                out.push(b'I');
                out.extend_from_slice(&relation.to_be_bytes());
                out.push(b'N');
                tuple(&mut out, new);
            }
            Message::Update { relation, old, new } => {
                out.push(b'U');
                out.extend_from_slice(&relation.to_be_bytes());
                if let Some(old) = old {
                    out.push(b'K');
                    tuple(&mut out, old);
                }
                out.push(b'N');
                tuple(&mut out, new);
            }
            Message::Delete { relation, old } => {
                out.push(b'D');
                out.extend_from_slice(&relation.to_be_bytes());
                out.push(b'O');
                tuple(&mut out, old);
            }
            Message::Truncate { options, relations } => {
                out.push(b'T');
                out.extend_from_slice(&(relations.len() as u32).to_be_bytes());
                out.push(*options);
                for relation in relations {
                    out.extend_from_slice(&relation.to_be_bytes());
                }
            }
            Message::Logical {
                flags,
                lsn,
                prefix,
                content,
            } => {
                out.push(b'M');
                out.push(*flags);
                out.extend_from_slice(&lsn.to_be_bytes());
                string(&mut out, prefix);
                out.extend_from_slice(&(content.len() as i32).to_be_bytes());
                out.extend_from_slice(content);
            }
        }
        out
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-zA-Z_ é0-9]{0,12}"
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Unchanged),
            any::<String>().prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Binary),
        ]
    }

    fn values() -> impl Strategy<Value = Vec<Value>> {
        proptest::collection::vec(value(), 0..6)
    }

    fn message() -> impl Strategy<Value = Message> {
        let column = (any::<bool>(), name(), any::<u32>(), any::<i32>()).prop_map(
            |(key, name, type_oid, type_modifier)| RelationColumn {
                key,
                name,
                type_oid,
                type_modifier,
            },
        );
        prop_oneof![
            (any::<u64>(), any::<i64>(), any::<u32>()).prop_map(|(final_lsn, timestamp, xid)| {
                Message::Begin {
                    final_lsn,
                    timestamp,
                    xid,
                }
            }),
            (any::<u8>(), any::<u64>(), any::<u64>(), any::<i64>()).prop_map(
                |(flags, commit_lsn, end_lsn, timestamp)| Message::Commit {
                    flags,
                    commit_lsn,
                    end_lsn,
                    timestamp,
                }
            ),
            (any::<u64>(), name()).prop_map(|(lsn, name)| Message::Origin { lsn, name }),
            (
                any::<u32>(),
                name(),
                name(),
                prop_oneof![Just(b'd'), Just(b'f'), Just(b'i'), Just(b'n')],
                proptest::collection::vec(column, 0..5)
            )
                .prop_map(|(id, namespace, name, identity, columns)| {
                    Message::Relation(Relation {
                        id,
                        namespace,
                        name,
                        identity,
                        columns,
                    })
                }),
            (any::<u32>(), name(), name()).prop_map(|(oid, namespace, name)| Message::Type {
                oid,
                namespace,
                name,
            }),
            (any::<u32>(), values()).prop_map(|(relation, new)| Message::Insert { relation, new }),
            (any::<u32>(), proptest::option::of(values()), values())
                .prop_map(|(relation, old, new)| Message::Update { relation, old, new }),
            (any::<u32>(), values()).prop_map(|(relation, old)| Message::Delete { relation, old }),
            (any::<u8>(), proptest::collection::vec(any::<u32>(), 0..4))
                .prop_map(|(options, relations)| Message::Truncate { options, relations }),
            (
                any::<u8>(),
                any::<u64>(),
                name(),
                proptest::collection::vec(any::<u8>(), 0..16)
            )
                .prop_map(|(flags, lsn, prefix, content)| Message::Logical {
                    flags,
                    lsn,
                    prefix,
                    content,
                }),
        ]
    }

    proptest! {
        #[test]
        fn every_message_reads_back_as_written(message in message()) {
            prop_assert_eq!(parse(&encode(&message)), Ok(message));
        }

        #[test]
        fn a_message_cut_short_is_an_error(message in message(), cut in any::<prop::sample::Index>()) {
            let bytes = encode(&message);
            let cut = cut.index(bytes.len());
            prop_assert!(parse(&bytes[..cut]).is_err());
        }

        #[test]
        fn garbage_is_an_error_or_a_message_never_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let _ = parse(&bytes);
        }

        #[test]
        fn a_message_with_a_byte_changed_never_panics(
            message in message(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = encode(&message);
            let at = at.index(bytes.len());
            bytes[at] = byte;
            let _ = parse(&bytes);
        }
    }

    #[test]
    fn an_insert_as_the_server_sends_it_is_read() {
        // `INSERT INTO t VALUES (1, NULL, 'x')` on relation 16385.
        let bytes = b"I\0\0\x40\x01N\0\x03t\0\0\0\x011nt\0\0\0\x01x";
        assert_eq!(
            parse(bytes),
            Ok(Message::Insert {
                relation: 16385,
                new: vec![
                    Value::Text("1".to_owned()),
                    Value::Null,
                    Value::Text("x".to_owned())
                ],
            })
        );
    }

    #[test]
    fn bad_input_says_where_and_what() {
        assert_eq!(
            parse(b"Z"),
            Err(DecodeError {
                at: 0,
                what: "an unknown message tag"
            })
        );
        assert_eq!(
            parse(b"I\0\0\0\x01N\0\x01t\xff\xff\xff\xff"),
            Err(DecodeError {
                at: 13,
                what: "a negative length"
            })
        );
        assert_eq!(
            parse(b"I\0\0\0\x01X"),
            Err(DecodeError {
                at: 5,
                what: "an insert without its new tuple"
            })
        );
        assert_eq!(
            parse(b"B\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02\0\0\0\x03!"),
            Err(DecodeError {
                at: 21,
                what: "bytes after the message"
            })
        );
        assert!(parse(b"").is_err());
    }
}
