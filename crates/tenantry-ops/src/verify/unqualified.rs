//! Which relations a function body names without a schema: a scan of its
//! tokens, not a parse. It looks at code, string literals (dynamic SQL and
//! `nextval('...')` resolve names the same way) and quoted identifiers alike,
//! and skips comments; a name with a `.` before it is qualified, one with a
//! `.` after it qualifies something else (a column, say).

use std::collections::HashSet;

/// The first name in `body` that is one of `relations` and has no schema,
/// if any.
pub(super) fn unqualified_relation(body: &str, relations: &HashSet<String>) -> Option<String> {
    let tokens = tokens(body);
    tokens.iter().enumerate().find_map(|(index, token)| {
        let Token::Name(name) = token else {
            return None;
        };
        let dot_before = index > 0 && tokens[index - 1] == Token::Dot;
        let dot_after = tokens.get(index + 1) == Some(&Token::Dot);
        (!dot_before && !dot_after && relations.contains(name)).then(|| name.clone())
    })
}

/// A token of a function body, as far as names go.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// An identifier: folded to lower case, or as written between double quotes.
    Name(String),
    /// `.`
    Dot,
    /// Anything else: a number, an operator, punctuation, a quote.
    Other,
}

fn tokens(body: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '-' if chars.peek() == Some(&'-') => {
                chars.by_ref().find(|&c| c == '\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '"' => {
                let mut name = String::new();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    name.push(c);
                }
                tokens.push(Token::Name(name));
            }
            '.' => tokens.push(Token::Dot),
            c if c.is_alphabetic() || c == '_' => {
                let mut name: String = c.to_lowercase().collect();
                while let Some(&c) = chars.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    name.extend(c.to_lowercase());
                    chars.next();
                }
                tokens.push(Token::Name(name));
            }
            c if c.is_ascii_digit() => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    chars.next();
                }
                tokens.push(Token::Other);
            }
            _ => tokens.push(Token::Other),
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(body: &str) -> Option<String> {
        let relations = ["audit_log", "customers", "Mixed Case"]
            .map(str::to_owned)
            .into();
        unqualified_relation(body, &relations)
    }

    #[test]
    fn a_relation_named_without_a_schema_is_found() {
        assert_eq!(
            found("BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END"),
            Some("audit_log".to_owned())
        );
        assert_eq!(
            found("SELECT 1 FROM Customers c"),
            Some("customers".to_owned())
        );
        assert_eq!(
            found("UPDATE \"Mixed Case\" SET x = 1"),
            Some("Mixed Case".to_owned())
        );
        // Dynamic SQL resolves names through search_path too.
        assert_eq!(
            found("EXECUTE 'DELETE FROM audit_log WHERE id = $1' USING NEW.id;"),
            Some("audit_log".to_owned())
        );
    }

    #[test]
    fn qualified_names_columns_and_comments_are_not() {
        assert_eq!(
            found(
                "-- copies into audit_log
                 /* audit_log, customers */
                 INSERT INTO public.audit_log SELECT c.id FROM tenant_a . customers c
                 WHERE customers.id = NEW.customers AND audit_log1 = 2e3;"
            ),
            None
        );
        assert_eq!(
            found("SELECT \"Mixed\"\"Case\" FROM x.\"Mixed Case\""),
            None
        );
    }
}
