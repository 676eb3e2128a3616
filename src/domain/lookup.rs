//! Finding the one store of a name among those seen: none, one, or several (a store of
//! that name in more than one namespace), with the words every front end uses.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("store '{0}' not found (storectl list shows the stores)")]
    NotFound(String),
    #[error(
        "store '{name}' exists in several namespaces ({namespaces}); delete the extra copies with kubectl"
    )]
    Ambiguous { name: String, namespaces: String },
    #[error(
        "'{name}' in namespace {namespace} has store labels but not storectl's mark: it is not a store storectl made, so storectl leaves it alone (nothing was changed)"
    )]
    Unmarked { name: String, namespace: String },
}

/// The only one of `matches` (the items named `name`), or why there is not exactly one.
pub fn the_one<T>(
    mut matches: Vec<T>,
    name: &str,
    namespace_of: impl Fn(&T) -> &str,
) -> Result<T, LookupError> {
    match matches.len() {
        0 => Err(LookupError::NotFound(name.to_string())),
        1 => Ok(matches.remove(0)),
        _ => Err(LookupError::Ambiguous {
            name: name.to_string(),
            namespaces: matches
                .iter()
                .map(namespace_of)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns<'a>(s: &'a (&str, &str)) -> &'a str {
        s.1
    }

    #[test]
    fn none_one_or_several() {
        assert_eq!(
            the_one(Vec::<(&str, &str)>::new(), "shop", ns),
            Err(LookupError::NotFound("shop".into()))
        );
        assert_eq!(
            the_one(vec![("shop", "store-shop")], "shop", ns),
            Ok(("shop", "store-shop"))
        );
        let two = the_one(
            vec![("shop", "store-shop"), ("shop", "ecommerce-stores")],
            "shop",
            ns,
        );
        assert_eq!(
            two.map_err(|e| e.to_string()),
            Err("store 'shop' exists in several namespaces (store-shop, ecommerce-stores); delete the extra copies with kubectl".to_string())
        );
    }
}
