//! A fragment document (`fragment TodoParts on Todo { id name }`) for reading and writing one
//! cached entity: parsed and checked like an operation, `__typename` added.

use super::ast::{Definition, Document, FragmentDefinition};
use super::document::add_typename;
use super::{parser, validate, DocumentError};

/// A parsed fragment, ready for `Cache::read_fragment` / `write_fragment`.
#[derive(Debug)]
pub struct Fragment {
    name: String,
    type_condition: String,
    document: Document,
}

impl Fragment {
    /// Parses `text` and selects the fragment named `name` (required when it holds several).
    pub fn parse(text: &str, name: Option<&str>) -> Result<Fragment, DocumentError> {
        let mut document = parser::parse(text)?;
        validate::check_document(&document)?;
        validate::check_fragments(&document)?;
        if document
            .definitions
            .iter()
            .any(|d| matches!(d, Definition::Operation(_)))
        {
            return Err(DocumentError::new(
                "a fragment document holds fragments only",
            ));
        }
        let fragments: Vec<&FragmentDefinition> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Fragment(f) => Some(f),
                Definition::Operation(_) => None,
            })
            .collect();
        let chosen = match (fragments.as_slice(), name) {
            ([], _) => return Err(DocumentError::new("the document contains no fragment")),
            ([only], None) => *only,
            (_, None) => {
                return Err(DocumentError::new(
                    "the document contains several fragments: a fragment name is required",
                ))
            }
            (all, Some(wanted)) => {
                all.iter()
                    .find(|f| f.name == wanted)
                    .copied()
                    .ok_or_else(|| {
                        DocumentError::new(format!("no fragment named `{wanted}` in the document"))
                    })?
            }
        };
        let name = chosen.name.clone();
        let type_condition = chosen.type_condition.clone();
        add_typename(&mut document);
        Ok(Fragment {
            name,
            type_condition,
            document,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type the fragment applies to.
    pub fn type_condition(&self) -> &str {
        &self.type_condition
    }

    pub fn document(&self) -> &Document {
        &self.document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_and_checks_fragments() {
        let f = Fragment::parse(
            "fragment A on Todo { id } fragment B on Todo { name owner { id } }",
            Some("B"),
        )
        .unwrap();
        assert_eq!((f.name(), f.type_condition()), ("B", "Todo"));
        assert!(
            Fragment::parse("fragment A on Todo { id } fragment B on Todo { id }", None).is_err()
        );
        assert!(Fragment::parse("query { a }", None).is_err());
        assert!(Fragment::parse("fragment A on Todo { ...Missing }", None).is_err());
        assert!(Fragment::parse("fragment A on Todo { id", None).is_err());
    }
}
