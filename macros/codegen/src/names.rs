//! Naming: snake case for handler methods, raw identifiers, and "did you mean" suggestions.

use syn::Ident;
use syn::ext::IdentExt as _;

/// `r#Idle` is the identifier `Idle` to Rust: the raw prefix is dropped unless the name is a
/// keyword, so `r#Idle` and `Idle` name one state, and names built from it (`idle_on_coin`) are
/// plain identifiers.
pub(crate) fn plain(ident: &Ident) -> Ident {
    let unraw = ident.unraw();
    if unraw != *ident && syn::parse_str::<Ident>(&unraw.to_string()).is_ok() {
        unraw
    } else {
        ident.clone()
    }
}

/// The snake case of an identifier without its raw prefix: `r#Match` → `match`, a part of method
/// names (`match_on_coin`) that is never a keyword on its own.
pub(crate) fn snake_ident(ident: &Ident) -> String {
    snake(&ident.unraw().to_string())
}

/// `UnlockedOnCoin` → `unlocked_on_coin`, `HTTPRequest` → `http_request`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) => {
                    p.is_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
                }
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The closest candidate within a small edit distance, for "did you mean".
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// "; did you mean `x`?" or "", to append to an error message.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case() {
        assert_eq!(snake("Locked"), "locked");
        assert_eq!(snake("UnlockedOnCoin"), "unlocked_on_coin");
        assert_eq!(snake("HTTPRequest"), "http_request");
        assert_eq!(snake("Step2Done"), "step2_done");
        assert_eq!(snake("A"), "a");
    }

    #[test]
    fn raw_identifiers() {
        let raw: Ident = syn::parse_str("r#Idle").unwrap();
        assert_eq!(plain(&raw), "Idle");
        let keyword: Ident = syn::parse_str("r#match").unwrap();
        assert_eq!(plain(&keyword), "r#match", "a keyword keeps its prefix");
        assert_eq!(snake_ident(&keyword), "match");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("Unlokced", ["Locked", "Unlocked"]),
            Some("Unlocked")
        );
        assert_eq!(
            closest("contxt", ["context", "exhaustive"]),
            Some("context")
        );
        assert_eq!(closest("zzz", ["context", "exhaustive"]), None);
    }
}
