//! Validation: from the parsed attributes to an entity model the expansion can
//! trust. Every error points at the span the user has to change.

use syn::{Attribute, Data, DeriveInput, Fields, Ident, Path, Type, Visibility};

use crate::attributes::{FieldAttributes, StructAttributes};

/// The field every tenant-scoped entity must have.
const TENANT_FIELD: &str = "tenant_id";

/// Whether the entity's rows belong to a tenant.
pub enum Scoping {
    TenantScoped,
    Global { schema: Option<String> },
}

/// One field and the column it maps to.
pub struct FieldModel {
    pub ident: Ident,
    pub ty: Type,
    pub vis: Visibility,
    pub docs: Vec<Attribute>,
    pub column: String,
    pub primary_key: bool,
}

impl FieldModel {
    pub fn is_tenant(&self) -> bool {
        self.ident == TENANT_FIELD
    }
}

/// A validated entity.
pub struct EntityModel {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    pub scoping: Scoping,
    pub crate_path: Path,
    pub fields: Vec<FieldModel>,
}

impl EntityModel {
    pub fn from_input(input: &DeriveInput) -> syn::Result<Self> {
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new_spanned(
                &input.generics,
                "an entity cannot be generic",
            ));
        }
        let Data::Struct(data) = &input.data else {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "#[derive(Entity)] needs a struct with named fields",
            ));
        };
        let Fields::Named(named) = &data.fields else {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "#[derive(Entity)] needs a struct with named fields",
            ));
        };
        let attributes = StructAttributes::parse(&input.attrs)?;
        let table = attributes
            .table
            .as_ref()
            .ok_or_else(|| {
                syn::Error::new_spanned(
                    &input.ident,
                    "missing table name: add #[entity(table = \"...\", tenant_scoped)] or #[entity(table = \"...\", global)]",
                )
            })?
            .value();
        let scoping = scoping(input, &attributes)?;
        let fields = named
            .named
            .iter()
            .map(field_model)
            .collect::<syn::Result<Vec<_>>>()?;
        let model = Self {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table,
            scoping,
            crate_path: attributes
                .crate_path
                .unwrap_or_else(|| syn::parse_quote!(::tenantry)),
            fields,
        };
        model.validate_keys()?;
        Ok(model)
    }

    fn validate_keys(&self) -> syn::Result<()> {
        if !self.fields.iter().any(|field| field.primary_key) {
            return Err(syn::Error::new_spanned(
                &self.ident,
                "an entity needs a primary key: mark its key field(s) with #[entity(primary_key)]",
            ));
        }
        if matches!(self.scoping, Scoping::TenantScoped) && self.tenant_field().is_none() {
            return Err(syn::Error::new_spanned(
                &self.ident,
                "a tenant_scoped entity needs a `tenant_id: TenantId` field: every statement constrains it, and the scope supplies it on insert",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for field in &self.fields {
            if !seen.insert(field.column.as_str()) {
                return Err(syn::Error::new_spanned(
                    &field.ident,
                    format!("two fields map to the column `{}`", field.column),
                ));
            }
        }
        Ok(())
    }

    /// The `tenant_id` field of a tenant-scoped entity.
    pub fn tenant_field(&self) -> Option<&FieldModel> {
        self.fields.iter().find(|field| field.is_tenant())
    }
}

fn scoping(input: &DeriveInput, attributes: &StructAttributes) -> syn::Result<Scoping> {
    match (attributes.tenant_scoped, attributes.global) {
        (Some(_), None) => {
            if let Some(schema) = &attributes.schema {
                return Err(syn::Error::new_spanned(
                    schema,
                    "`schema` is for global entities: a tenant's tables live where its placement says",
                ));
            }
            Ok(Scoping::TenantScoped)
        }
        (None, Some(_)) => Ok(Scoping::Global {
            schema: attributes.schema.as_ref().map(|schema| schema.value()),
        }),
        (Some(_), Some(span)) => Err(syn::Error::new(
            span,
            "an entity is either `tenant_scoped` or `global`, not both",
        )),
        (None, None) => Err(syn::Error::new_spanned(
            &input.ident,
            "say whose rows these are: add `tenant_scoped` or `global` to #[entity(...)]",
        )),
    }
}

fn field_model(field: &syn::Field) -> syn::Result<FieldModel> {
    let attributes = FieldAttributes::parse(&field.attrs)?;
    let ident = field
        .ident
        .clone()
        .expect("named fields always have an identifier");
    let column = attributes
        .column
        .map(|column| column.value())
        .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
    Ok(FieldModel {
        ty: field.ty.clone(),
        vis: field.vis.clone(),
        docs: field
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .cloned()
            .collect(),
        column,
        primary_key: attributes.primary_key,
        ident,
    })
}
