//! The user query language: words and `"exact phrases"`, all required; a
//! leading `-` excludes. Parsing never panics; errors name the problem and
//! its character position.

/// One clause of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The text to match (a word or the inside of a phrase).
    pub text: String,
    /// True for `-excluded` clauses.
    pub excluded: bool,
}

/// A malformed query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query at character {position}: {reason}")]
pub struct QueryError {
    /// 0-based character position of the problem.
    pub position: usize,
    pub reason: String,
}

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Parses a query into clauses.
pub fn parse_query(query: &str) -> Result<Vec<Clause>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(QueryError {
            position: MAX_QUERY_CHARS,
            reason: format!("query longer than {MAX_QUERY_CHARS} characters"),
        });
    }
    let mut clauses = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        if chars[index].is_whitespace() || chars[index] == '\u{3000}' {
            index += 1;
            continue;
        }
        let start = index;
        let excluded = chars[index] == '-';
        if excluded {
            index += 1;
        }
        let text: String = match chars.get(index) {
            None => {
                return Err(QueryError { position: start, reason: "`-` must be followed by a word or phrase".into() })
            }
            Some(c) if c.is_whitespace() => {
                return Err(QueryError { position: start, reason: "`-` must be followed by a word or phrase".into() })
            }
            Some('"') | Some('“') | Some('”') => {
                let open = index;
                index += 1;
                let inner_start = index;
                while index < chars.len() && !matches!(chars[index], '"' | '”' | '“') {
                    index += 1;
                }
                if index >= chars.len() {
                    return Err(QueryError { position: open, reason: "unterminated quote".into() });
                }
                let inner: String = chars[inner_start..index].iter().collect();
                index += 1;
                inner
            }
            Some(_) => {
                let word_start = index;
                while index < chars.len()
                    && !chars[index].is_whitespace()
                    && chars[index] != '\u{3000}'
                    && chars[index] != '"'
                {
                    index += 1;
                }
                chars[word_start..index].iter().collect()
            }
        };
        if text.trim().is_empty() {
            return Err(QueryError { position: start, reason: "empty phrase".into() });
        }
        clauses.push(Clause { text, excluded });
    }
    if clauses.is_empty() {
        return Err(QueryError { position: 0, reason: "query is empty".into() });
    }
    if clauses.iter().all(|c| c.excluded) {
        return Err(QueryError { position: 0, reason: "query has only excluded terms; add a term to find".into() });
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(text: &str, excluded: bool) -> Clause {
        Clause { text: text.into(), excluded }
    }

    #[test]
    fn parses_words_phrases_and_exclusions() {
        assert_eq!(
            parse_query(r#"万步有约 "健走 激励" -太原"#).unwrap(),
            [clause("万步有约", false), clause("健走 激励", false), clause("太原", true)]
        );
        assert_eq!(parse_query("“两山”理论").unwrap(), [clause("两山", false), clause("理论", false)]);
    }

    #[test]
    fn reports_problems_with_positions() {
        assert_eq!(parse_query("  ").unwrap_err().reason, "query is empty");
        assert_eq!(
            parse_query(r#"abc "def"#).unwrap_err(),
            QueryError { position: 4, reason: "unterminated quote".into() }
        );
        assert_eq!(parse_query("a - b").unwrap_err().position, 2);
        assert!(parse_query("-a").is_err());
        assert!(parse_query("- *").is_err());
    }
}
