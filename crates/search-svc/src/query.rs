//! The user query language, parsed into a small tree. Parsing never panics
//! and errors name the problem and its character position.
//!
//! ```text
//! query   := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*
//! unary   := "-" unary | primary
//! primary := "(" or ")" | [field ":"] (word | "phrase")
//! field   := title | body | author | reporter | paper | person | place | org | city
//! ```
//! Words and phrases match their characters in a row wherever they appear
//! (spaces and punctuation between characters do not matter); `author:`
//! (`reporter:`), `paper:`, `person:`, `place:`, `org:` and `city:` match a
//! whole name exactly.

/// Where a term must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryField {
    /// Headline (kicker, title, subtitle) or body.
    Any,
    /// Kicker, title or subtitle.
    Title,
    /// Body text.
    Body,
    /// One of the article's authors, exactly.
    Author,
    /// The paper's name, exactly.
    Paper,
    /// A person named in the article (byline or text), exactly.
    Person,
    /// A place named in the article, exactly.
    Place,
    /// An organisation named in the article, exactly.
    Org,
    /// The city of the article's dateline, exactly.
    City,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryNode {
    /// A word or quoted phrase in a field.
    Term { field: QueryField, text: String, position: usize },
    /// All of these.
    And(Vec<QueryNode>),
    /// Any of these.
    Or(Vec<QueryNode>),
    /// Not this (only meaningful next to something positive).
    Not(Box<QueryNode>),
}

/// A malformed query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query at character {position}: {reason}")]
pub struct QueryError {
    /// 0-based character position of the problem.
    pub position: usize,
    pub reason: String,
}

/// Longest query the parser accepts, in characters (the configurable limit,
/// `--max-query-chars`, is checked before and may only be lower).
pub const MAX_QUERY_CHARS: usize = 10_000;
/// Deepest nesting of parentheses and negations accepted.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Minus,
    And,
    Or,
    Field(QueryField),
    Text(String),
}

fn error(position: usize, reason: impl Into<String>) -> QueryError {
    QueryError { position, reason: reason.into() }
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

fn field_named(name: &str) -> Option<QueryField> {
    match name.to_ascii_lowercase().as_str() {
        "title" => Some(QueryField::Title),
        "body" => Some(QueryField::Body),
        "author" | "reporter" => Some(QueryField::Author),
        "paper" => Some(QueryField::Paper),
        "person" => Some(QueryField::Person),
        "place" => Some(QueryField::Place),
        "org" => Some(QueryField::Org),
        "city" => Some(QueryField::City),
        _ => None,
    }
}

/// Splits a query into tokens with their character positions.
fn tokenize(chars: &[char]) -> Result<Vec<(Token, usize)>, QueryError> {
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if is_space(c) {
            index += 1;
            continue;
        }
        let start = index;
        match c {
            '(' | '（' => {
                tokens.push((Token::Open, start));
                index += 1;
            }
            ')' | '）' => {
                tokens.push((Token::Close, start));
                index += 1;
            }
            '-' => {
                let followed =
                    chars.get(index + 1).is_some_and(|next| !is_space(*next) && *next != ')' && *next != '）');
                if !followed {
                    return Err(error(start, "`-` must be followed by a word or phrase"));
                }
                tokens.push((Token::Minus, start));
                index += 1;
            }
            c if is_quote(c) => {
                index += 1;
                let inner_start = index;
                while index < chars.len() && !is_quote(chars[index]) {
                    index += 1;
                }
                if index >= chars.len() {
                    return Err(error(start, "unterminated quote"));
                }
                let inner: String = chars[inner_start..index].iter().collect();
                if inner.trim().is_empty() {
                    return Err(error(start, "empty phrase"));
                }
                tokens.push((Token::Text(inner), start));
                index += 1;
            }
            _ => {
                while index < chars.len()
                    && !is_space(chars[index])
                    && !is_quote(chars[index])
                    && !matches!(chars[index], '(' | ')' | '（' | '）')
                {
                    let is_colon = matches!(chars[index], ':' | '：');
                    if is_colon {
                        let name: String = chars[start..index].iter().collect();
                        if let Some(field) = field_named(&name) {
                            tokens.push((Token::Field(field), start));
                            index += 1;
                            break;
                        }
                    }
                    index += 1;
                }
                if matches!(tokens.last(), Some((Token::Field(_), position)) if *position == start) {
                    continue;
                }
                let word: String = chars[start..index].iter().collect();
                let token = match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    _ => Token::Text(word),
                };
                tokens.push((token, start));
            }
        }
    }
    Ok(tokens)
}

/// Recursive-descent parser over the tokens.
struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(token, _)| token)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(_, position)| *position)
    }

    fn or(&mut self, depth: usize) -> Result<QueryNode, QueryError> {
        let mut branches = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            let operator = self.position();
            self.next += 1;
            if matches!(self.peek(), None | Some(Token::Close) | Some(Token::Or) | Some(Token::And)) {
                return Err(error(operator, "`OR` must be followed by a word or phrase"));
            }
            branches.push(self.and(depth)?);
        }
        Ok(if branches.len() == 1 { branches.remove(0) } else { QueryNode::Or(branches) })
    }

    fn and(&mut self, depth: usize) -> Result<QueryNode, QueryError> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek() {
                None | Some(Token::Close) | Some(Token::Or) => break,
                Some(Token::And) => {
                    let operator = self.position();
                    self.next += 1;
                    if matches!(self.peek(), None | Some(Token::Close) | Some(Token::Or) | Some(Token::And)) {
                        return Err(error(operator, "`AND` must be followed by a word or phrase"));
                    }
                }
                _ => {}
            }
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { QueryNode::And(parts) })
    }

    fn unary(&mut self, depth: usize) -> Result<QueryNode, QueryError> {
        if depth > MAX_DEPTH {
            return Err(error(self.position(), format!("query nested deeper than {MAX_DEPTH} levels")));
        }
        if self.peek() == Some(&Token::Minus) {
            self.next += 1;
            return Ok(QueryNode::Not(Box::new(self.unary(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<QueryNode, QueryError> {
        let position = self.position();
        let Some((token, _)) = self.tokens.get(self.next).cloned() else {
            return Err(error(position, "expected a word or phrase"));
        };
        self.next += 1;
        match token {
            Token::Open => {
                if self.peek() == Some(&Token::Close) {
                    return Err(error(position, "empty parentheses"));
                }
                let inner = self.or(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return Err(error(position, "unclosed parenthesis"));
                }
                self.next += 1;
                Ok(inner)
            }
            Token::Close => Err(error(position, "unexpected `)`")),
            Token::And | Token::Or => Err(error(position, "`AND`/`OR` must stand between two terms")),
            Token::Minus => Err(error(position, "`-` must be followed by a word or phrase")),
            Token::Field(field) => match self.tokens.get(self.next).cloned() {
                Some((Token::Text(text), text_position)) => {
                    self.next += 1;
                    Ok(QueryNode::Term { field, text, position: text_position })
                }
                _ => Err(error(position, "a field (`title:`, `body:`, `author:`, `paper:`) needs a word or phrase")),
            },
            Token::Text(text) => Ok(QueryNode::Term { field: QueryField::Any, text, position }),
        }
    }
}

/// Returns true when a node can match a document by itself (it is not only exclusions).
pub fn can_match(node: &QueryNode) -> bool {
    match node {
        QueryNode::Term { .. } => true,
        QueryNode::Not(_) => false,
        QueryNode::And(parts) => parts.iter().any(can_match),
        QueryNode::Or(branches) => branches.iter().all(can_match),
    }
}

/// Parses a query.
pub fn parse_query(query: &str) -> Result<QueryNode, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(error(MAX_QUERY_CHARS, format!("query longer than {MAX_QUERY_CHARS} characters")));
    }
    let tokens = tokenize(&chars)?;
    if tokens.is_empty() {
        return Err(error(0, "query is empty"));
    }
    let mut parser = Parser { tokens, next: 0, end: chars.len() };
    let node = parser.or(0)?;
    if parser.next < parser.tokens.len() {
        return Err(error(parser.position(), "unexpected `)`"));
    }
    if !can_match(&node) {
        return Err(error(0, "query has only excluded terms; add a term to find"));
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: QueryField, text: &str, position: usize) -> QueryNode {
        QueryNode::Term { field, text: text.into(), position }
    }

    #[test]
    fn parses_words_phrases_exclusions_and_fields() {
        assert_eq!(
            parse_query(r#"万步有约 "健走 激励" -太原"#).unwrap(),
            QueryNode::And(vec![
                term(QueryField::Any, "万步有约", 0),
                term(QueryField::Any, "健走 激励", 5),
                QueryNode::Not(Box::new(term(QueryField::Any, "太原", 14))),
            ])
        );
        assert_eq!(
            parse_query("title:两山 author:杨文").unwrap(),
            QueryNode::And(vec![term(QueryField::Title, "两山", 6), term(QueryField::Author, "杨文", 16)])
        );
        assert_eq!(parse_query("paper:\"山西 日报\"").unwrap(), term(QueryField::Paper, "山西 日报", 6));
    }

    #[test]
    fn or_binds_looser_than_and_and_parentheses_group() {
        assert_eq!(
            parse_query("a b OR c").unwrap(),
            QueryNode::Or(vec![
                QueryNode::And(vec![term(QueryField::Any, "a", 0), term(QueryField::Any, "b", 2)]),
                term(QueryField::Any, "c", 7),
            ])
        );
        assert_eq!(
            parse_query("a AND (b OR c)").unwrap(),
            QueryNode::And(vec![
                term(QueryField::Any, "a", 0),
                QueryNode::Or(vec![term(QueryField::Any, "b", 7), term(QueryField::Any, "c", 12)]),
            ])
        );
    }

    #[test]
    fn reports_problems_with_positions() {
        let reason = |q: &str| parse_query(q).unwrap_err();
        assert_eq!(reason("  ").reason, "query is empty");
        assert_eq!(reason(r#"abc "def"#), error(4, "unterminated quote"));
        assert_eq!(reason("a - b").position, 2);
        assert_eq!(reason("(a OR b").reason, "unclosed parenthesis");
        assert_eq!(reason("a)").position, 1);
        assert_eq!(reason("a OR").reason, "`OR` must be followed by a word or phrase");
        assert_eq!(reason("title:").reason, "a field (`title:`, `body:`, `author:`, `paper:`) needs a word or phrase");
        assert!(reason("-a").reason.contains("only excluded"));
        assert!(parse_query("- *").is_err());
        assert!(parse_query("(*'\n").is_err() || parse_query("(*'\n").is_ok());
        assert!(reason(&"(".repeat(100)).reason.contains("nested"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for query in
            ["((", "))", "-(", "\"", "“", "OR OR", "AND", "a:b:c", "title:title:", "-\"\"", "（）", "\u{0}", "-", "--a"]
        {
            let _ = parse_query(query);
        }
    }
}
