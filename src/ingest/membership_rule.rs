//! Entra ID dynamic membership rules and Intune assignment filter rules.
//!
//! [`parse`] turns a rule into an [`Expr`] whose nodes carry byte spans into the rule text;
//! [`analyse`] evaluates it in three-valued logic against a hypothetical Windows device of
//! each join type, to tell which join types the rule can match and which it always matches.
//!
//! Grammar (Microsoft's groups-dynamic-membership.md), lowest precedence first:
//!
//! ```text
//! rule       := or | "Direct Reports for" string
//! or         := and ("-or" and)*
//! and        := not ("-and" not)*
//! not        := "-not" not | primary
//! primary    := "(" or ")" | condition
//! condition  := property operator value | property ("-any" | "-all") predicate
//! predicate  := "(" or ")" | condition            (`_` names the collection item)
//! value      := string | "[" values "]" | true | false | null | number | unquoted word
//! ```
//!
//! Keywords and operators are case-insensitive and their leading hyphen is optional.

use std::fmt;

use regex::RegexBuilder;

use crate::model::{JoinType, JoinTypeSet};

/// A byte range `(start, end)` in the rule text.
pub type ByteSpan = (usize, usize);

/// Deepest nesting of parentheses, `-not` and `-any`/`-all` that [`parse`] accepts, so that
/// hostile input cannot overflow the stack (real rules nest a handful of levels at most).
pub const MAX_NESTING: usize = 32;

/// Why a rule could not be parsed, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// Byte offset of the offending text in the rule.
    pub offset: usize,
    /// Byte length of the offending text (0 when the problem is the end of the rule).
    pub len: usize,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl RuleError {
    fn new(span: ByteSpan, message: impl Into<String>) -> RuleError {
        RuleError {
            offset: span.0,
            len: span.1 - span.0,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    Match,
    NotMatch,
    In,
    NotIn,
    Le,
    Ge,
}

impl Operator {
    /// Every comparison operator, in the order error messages list them.
    pub const ALL: [Operator; 14] = [
        Operator::Eq,
        Operator::Ne,
        Operator::StartsWith,
        Operator::NotStartsWith,
        Operator::EndsWith,
        Operator::NotEndsWith,
        Operator::Contains,
        Operator::NotContains,
        Operator::Match,
        Operator::NotMatch,
        Operator::In,
        Operator::NotIn,
        Operator::Le,
        Operator::Ge,
    ];

    /// The canonical spelling (`-startsWith`).
    pub fn name(self) -> &'static str {
        match self {
            Operator::Eq => "-eq",
            Operator::Ne => "-ne",
            Operator::StartsWith => "-startsWith",
            Operator::NotStartsWith => "-notStartsWith",
            Operator::EndsWith => "-endsWith",
            Operator::NotEndsWith => "-notEndsWith",
            Operator::Contains => "-contains",
            Operator::NotContains => "-notContains",
            Operator::Match => "-match",
            Operator::NotMatch => "-notMatch",
            Operator::In => "-in",
            Operator::NotIn => "-notIn",
            Operator::Le => "-le",
            Operator::Ge => "-ge",
        }
    }

    fn takes_list(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

/// `-any` or `-all`, applied to a multi-valued property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

impl Quantifier {
    /// The canonical spelling (`-any`).
    pub fn name(self) -> &'static str {
        match self {
            Quantifier::Any => "-any",
            Quantifier::All => "-all",
        }
    }
}

/// A value on the right of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A quoted string, escapes decoded.
    Str(String),
    Bool(bool),
    Null,
    /// A number, as written.
    Number(String),
    /// Any other unquoted word, as written (`2020-06-10T18:13:20Z`, `system.now -plus p1d`).
    Unquoted(String),
    /// `[...]`, for `-in` and `-notIn`.
    List(Vec<Value>),
}

/// `property operator value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// As written (`device.deviceTrustType`, or `_` for a collection item).
    pub property: String,
    pub operator: Operator,
    pub value: Value,
    /// From the property to the end of the value (enclosing parentheses excluded).
    pub span: ByteSpan,
    pub property_span: ByteSpan,
    pub operator_span: ByteSpan,
    pub value_span: ByteSpan,
}

impl Comparison {
    /// Whether the property is `name` (property names are case-insensitive).
    pub fn property_is(&self, name: &str) -> bool {
        self.property.eq_ignore_ascii_case(name)
    }
}

/// `property -any predicate` or `property -all predicate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionTest {
    /// The multi-valued property, as written (`device.devicePhysicalIds`).
    pub property: String,
    pub quantifier: Quantifier,
    /// The condition on each item (`_ -startsWith "[ZTDId]"`, or a sub-expression).
    pub predicate: Box<Expr>,
    /// From the property to the end of the predicate (its parentheses included).
    pub span: ByteSpan,
    pub property_span: ByteSpan,
    pub quantifier_span: ByteSpan,
}

/// A parsed rule. `And` and `Or` are n-ary so long chains stay shallow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Comparison(Comparison),
    Collection(CollectionTest),
    Not {
        operand: Box<Expr>,
        span: ByteSpan,
    },
    And {
        operands: Vec<Expr>,
        span: ByteSpan,
    },
    Or {
        operands: Vec<Expr>,
        span: ByteSpan,
    },
    /// `Direct Reports for "<manager object id>"`: a user rule that combines with nothing.
    DirectReports {
        manager_id: String,
        span: ByteSpan,
    },
}

impl Expr {
    /// The node's byte span in the rule text.
    pub fn span(&self) -> ByteSpan {
        match self {
            Expr::Comparison(c) => c.span,
            Expr::Collection(c) => c.span,
            Expr::Not { span, .. }
            | Expr::And { span, .. }
            | Expr::Or { span, .. }
            | Expr::DirectReports { span, .. } => *span,
        }
    }

    /// Calls `visit` on this node and every node below it, predicates of `-any`/`-all` included.
    pub fn visit<'e>(&'e self, visit: &mut impl FnMut(&'e Expr)) {
        visit(self);
        match self {
            Expr::Comparison(_) | Expr::DirectReports { .. } => {}
            Expr::Collection(c) => c.predicate.visit(visit),
            Expr::Not { operand, .. } => operand.visit(visit),
            Expr::And { operands, .. } | Expr::Or { operands, .. } => {
                operands.iter().for_each(|e| e.visit(visit))
            }
        }
    }
}

/// Parses a dynamic group rule or an assignment filter rule (same syntax).
pub fn parse(text: &str) -> Result<Expr, RuleError> {
    let mut parser = Parser::new(text);
    if parser.tokens.is_empty() && parser.lex_error.is_none() {
        return Err(RuleError::new((0, 0), "empty rule"));
    }
    if let Some(expr) = parser.parse_direct_reports()? {
        return Ok(expr);
    }
    let (expr, _) = parser.parse_or()?;
    parser.expect_end()?;
    Ok(expr)
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A quoted string, quotes included.
    Str,
    /// Any run of other non-space characters: properties, operators, keywords, bare values.
    Word,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
}

impl Token {
    fn span(self) -> ByteSpan {
        (self.start, self.end)
    }
}

/// The tokens before the first lexical error, and that error.
struct Tokens {
    tokens: Vec<Token>,
    error: Option<RuleError>,
}

fn is_space(c: char) -> bool {
    // A byte-order mark can survive decoding at the start of a copied rule.
    c.is_whitespace() || c == '\u{feff}'
}

fn is_punctuation(c: char) -> bool {
    matches!(c, '(' | ')' | '[' | ']' | ',' | '"' | '\'')
}

fn tokenize(text: &str) -> Tokens {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        if is_space(c) {
            pos += c.len_utf8();
            continue;
        }
        let start = pos;
        let (kind, end) = match c {
            '(' => (TokenKind::LParen, start + 1),
            ')' => (TokenKind::RParen, start + 1),
            '[' => (TokenKind::LBracket, start + 1),
            ']' => (TokenKind::RBracket, start + 1),
            ',' => (TokenKind::Comma, start + 1),
            '"' | '\'' => match string_end(text, start, c) {
                Some(end) => (TokenKind::Str, end),
                None => {
                    let error = RuleError::new((start, start + 1), "unterminated string");
                    return Tokens {
                        tokens,
                        error: Some(error),
                    };
                }
            },
            _ => (TokenKind::Word, word_end(text, start)),
        };
        tokens.push(Token { kind, start, end });
        pos = end;
    }
    Tokens {
        tokens,
        error: None,
    }
}

/// Whether `c` followed by `next` is an escape inside a string quoted with `quote`: a backtick
/// escapes a double quote or a backtick in "..." (Microsoft's syntax); two single quotes stand
/// for one in '...'.
fn is_escape(quote: char, c: char, next: Option<char>) -> bool {
    match (quote, c, next) {
        ('"', '`', Some(n)) => n == '"' || n == '`',
        ('\'', '\'', Some('\'')) => true,
        _ => false,
    }
}

/// End (exclusive) of the string literal whose opening quote is at `start`.
fn string_end(text: &str, start: usize, quote: char) -> Option<usize> {
    let body = start + quote.len_utf8();
    let mut chars = text[body..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_escape(quote, c, chars.peek().map(|&(_, n)| n)) {
            chars.next();
        } else if c == quote {
            return Some(body + i + 1);
        }
    }
    None
}

/// The value of a string literal (quotes included in `literal`).
fn decode_string(literal: &str) -> String {
    let mut chars = literal.chars();
    let quote = chars.next().unwrap_or('"');
    chars.next_back();
    let mut chars = chars.peekable();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        if is_escape(quote, c, chars.peek().copied()) {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn word_end(text: &str, start: usize) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, c)| is_space(c) || is_punctuation(c))
        .map_or(text.len(), |(i, _)| start + i)
}

// ---------------------------------------------------------------------------------------------
// Keywords

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Logical {
    And,
    Or,
    Not,
}

impl Logical {
    fn name(self) -> &'static str {
        match self {
            Logical::And => "-and",
            Logical::Or => "-or",
            Logical::Not => "-not",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    Logical(Logical),
    Compare(Operator),
    Quantify(Quantifier),
}

/// A leading hyphen; the en dash is accepted because Microsoft's own examples contain it
/// (`user.mail –ne null`), so rules copied from the documentation do too.
fn strip_hyphen(word: &str) -> Option<&str> {
    word.strip_prefix(['-', '\u{2013}'])
}

/// What `word` means as a keyword, hyphen optional and case ignored.
fn keyword(word: &str) -> Option<Keyword> {
    let bare = strip_hyphen(word).unwrap_or(word);
    if let Some(op) = Operator::ALL
        .into_iter()
        .find(|op| op.name()[1..].eq_ignore_ascii_case(bare))
    {
        return Some(Keyword::Compare(op));
    }
    // Compared in place: the parser asks this of a token several times (once per logical
    // operator it tries), and a lower-cased copy each time was most of a rule's parse.
    const WORDS: [(&str, Keyword); 5] = [
        ("and", Keyword::Logical(Logical::And)),
        ("or", Keyword::Logical(Logical::Or)),
        ("not", Keyword::Logical(Logical::Not)),
        ("any", Keyword::Quantify(Quantifier::Any)),
        ("all", Keyword::Quantify(Quantifier::All)),
    ];
    WORDS
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(bare))
        .map(|(_, keyword)| keyword)
}

fn operator_list() -> String {
    let mut names: Vec<&str> = Operator::ALL.iter().map(|op| op.name()).collect();
    names.extend([Quantifier::Any.name(), Quantifier::All.name()]);
    names.join(", ")
}

/// `text` in backticks for a message, shortened when long.
fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

/// `device.deviceOSType`, `assignedPlan.servicePlanId`, `user.extension_abc_Office`.
fn is_dotted_name(word: &str) -> bool {
    word.split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn is_number(word: &str) -> bool {
    // f64 parsing also accepts "inf" and "NaN": require a digit.
    word.parse::<f64>().is_ok() && word.bytes().any(|b| b.is_ascii_digit())
}

/// A single unquoted value.
fn scalar_word(word: &str) -> Value {
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    match word {
        _ if is("true") => Value::Bool(true),
        _ if is("false") => Value::Bool(false),
        _ if is("null") => Value::Null,
        _ if is_number(word) => Value::Number(word.to_string()),
        _ => Value::Unquoted(word.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

/// An expression and its extent in the text, enclosing parentheses included.
type Spanned = (Expr, ByteSpan);

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// Reported when the parser reaches the end of `tokens`.
    lex_error: Option<RuleError>,
    pos: usize,
    nesting: usize,
    /// How many `-any`/`-all` predicates enclose the current position (`_` is valid inside).
    collections: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        let Tokens { tokens, error } = tokenize(text);
        Parser {
            text,
            tokens,
            lex_error: error,
            pos: 0,
            nesting: 0,
            collections: 0,
        }
    }

    fn peek(&self) -> Result<Option<Token>, RuleError> {
        match self.tokens.get(self.pos) {
            Some(token) => Ok(Some(*token)),
            None => match &self.lex_error {
                Some(error) => Err(error.clone()),
                None => Ok(None),
            },
        }
    }

    fn slice(&self, token: Token) -> &'a str {
        &self.text[token.start..token.end]
    }

    fn peek_keyword(&self) -> Result<Option<(Token, Keyword)>, RuleError> {
        Ok(self
            .peek()?
            .filter(|t| t.kind == TokenKind::Word)
            .and_then(|t| keyword(self.slice(t)).map(|k| (t, k))))
    }

    /// Consumes the next token if it is the logical keyword `wanted`.
    fn eat_logical(&mut self, wanted: Logical) -> Result<bool, RuleError> {
        let found = matches!(self.peek_keyword()?, Some((_, Keyword::Logical(l))) if l == wanted);
        if found {
            self.pos += 1;
        }
        Ok(found)
    }

    /// Error at the end of the rule: `expected {what} after <previous token>`.
    fn missing(&self, what: &str) -> RuleError {
        let end = self.text.len();
        let message = match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(previous) => format!("expected {what} after {}", quote(self.slice(*previous))),
            None => format!("expected {what}"),
        };
        RuleError::new((end, end), message)
    }

    fn unexpected(&self, token: Token, expectation: &str) -> RuleError {
        let message = format!("unexpected {}; {expectation}", quote(self.slice(token)));
        RuleError::new(token.span(), message)
    }

    fn enter(&mut self, token: Token) -> Result<(), RuleError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            let message = format!(
                "nesting too deep: more than {MAX_NESTING} levels of parentheses, -not, -any or -all"
            );
            return Err(RuleError::new(token.span(), message));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    fn is_word_at(&self, index: usize, expected: &str) -> bool {
        self.tokens.get(index).is_some_and(|t| {
            t.kind == TokenKind::Word && self.slice(*t).eq_ignore_ascii_case(expected)
        })
    }

    /// `Direct Reports for "<id>"`, recognised by its first two words.
    fn parse_direct_reports(&mut self) -> Result<Option<Expr>, RuleError> {
        if !(self.is_word_at(0, "direct") && self.is_word_at(1, "reports")) {
            return Ok(None);
        }
        let expectation = "expected `Direct Reports for \"<manager object id>\"`";
        self.pos = 2;
        if !self.is_word_at(2, "for") {
            return Err(self.bad_direct_reports(expectation));
        }
        self.pos = 3;
        let id = match self.peek()? {
            Some(t) if t.kind == TokenKind::Str => t,
            _ => return Err(self.bad_direct_reports(expectation)),
        };
        self.pos = 4;
        self.expect_end()?;
        Ok(Some(Expr::DirectReports {
            manager_id: decode_string(self.slice(id)),
            span: (self.tokens[0].start, id.end),
        }))
    }

    fn bad_direct_reports(&self, expectation: &str) -> RuleError {
        match self.tokens.get(self.pos) {
            Some(t) => self.unexpected(*t, expectation),
            None => self.missing("the manager's object id in quotes"),
        }
    }

    fn parse_or(&mut self) -> Result<Spanned, RuleError> {
        let mut operands = vec![self.parse_and()?];
        while self.eat_logical(Logical::Or)? {
            operands.push(self.parse_and()?);
        }
        Ok(join(operands, Logical::Or))
    }

    fn parse_and(&mut self) -> Result<Spanned, RuleError> {
        let mut operands = vec![self.parse_not()?];
        while self.eat_logical(Logical::And)? {
            operands.push(self.parse_not()?);
        }
        Ok(join(operands, Logical::And))
    }

    fn parse_not(&mut self) -> Result<Spanned, RuleError> {
        let Some((token, Keyword::Logical(Logical::Not))) = self.peek_keyword()? else {
            return self.parse_primary();
        };
        self.enter(token)?;
        self.pos += 1;
        let (operand, operand_span) = self.parse_not()?;
        self.leave();
        let span = (token.start, operand_span.1);
        let operand = Box::new(operand);
        Ok((Expr::Not { operand, span }, span))
    }

    fn parse_primary(&mut self) -> Result<Spanned, RuleError> {
        let Some(token) = self.peek()? else {
            return Err(self.missing("a condition"));
        };
        match token.kind {
            TokenKind::LParen => self.parse_group(token),
            TokenKind::Word => self.parse_condition(token),
            _ => Err(self.unexpected(token, "expected a condition such as `device.x -eq \"y\"`")),
        }
    }

    fn parse_group(&mut self, open: Token) -> Result<Spanned, RuleError> {
        self.enter(open)?;
        self.pos += 1;
        let (inner, _) = self.parse_or()?;
        let close = match self.peek()? {
            Some(t) if t.kind == TokenKind::RParen => t,
            Some(t) => return Err(self.unexpected(t, "expected `-and`, `-or` or `)`")),
            None => return Err(RuleError::new(open.span(), "unclosed `(`: no matching `)`")),
        };
        self.pos += 1;
        self.leave();
        Ok((inner, (open.start, close.end)))
    }

    /// `property operator value` or `property -any/-all predicate`.
    fn parse_condition(&mut self, property: Token) -> Result<Spanned, RuleError> {
        self.check_property(property)?;
        self.pos += 1;
        let name = self.slice(property);
        // Error texts are built when an error needs them: this runs for every condition.
        let expectation = || format!("expected an operator such as `-eq` after {}", quote(name));
        let Some(operator) = self.peek()? else {
            return Err(self.missing("an operator such as `-eq`"));
        };
        if operator.kind != TokenKind::Word {
            return Err(self.unexpected(operator, &expectation()));
        }
        match keyword(self.slice(operator)) {
            Some(Keyword::Compare(op)) => self.parse_comparison(property, operator, op),
            Some(Keyword::Quantify(q)) => self.parse_collection(property, operator, q),
            Some(Keyword::Logical(_)) => Err(self.unexpected(operator, &expectation())),
            None => {
                let message = format!(
                    "unknown operator {}; valid operators are {}",
                    quote(self.slice(operator)),
                    operator_list()
                );
                Err(RuleError::new(operator.span(), message))
            }
        }
    }

    fn check_property(&self, token: Token) -> Result<(), RuleError> {
        let word = self.slice(token);
        let message = if word == "_" {
            if self.collections > 0 {
                return Ok(());
            }
            "`_` stands for an item of a collection and can only follow `-any` or `-all`"
                .to_string()
        } else if let Some(k) = keyword(word) {
            let what = match k {
                Keyword::Logical(l) => format!("`{}`", l.name()),
                _ => format!("operator {}", quote(word)),
            };
            format!("expected a condition before {what}")
        } else if !is_dotted_name(word) {
            format!(
                "expected a property such as `device.deviceOSType`, found {}",
                quote(word)
            )
        } else if !word.contains('.') {
            format!(
                "property {} needs an object prefix such as `device.` or `user.`",
                quote(word)
            )
        } else {
            return Ok(());
        };
        Err(RuleError::new(token.span(), message))
    }

    fn parse_comparison(
        &mut self,
        property: Token,
        operator_token: Token,
        operator: Operator,
    ) -> Result<Spanned, RuleError> {
        self.pos += 1;
        let (value, value_span) = self.parse_value(operator_token)?;
        if matches!(value, Value::List(_)) && !operator.takes_list() {
            let message = format!(
                "`{}` takes a single value; use `-in` or `-notIn` to compare with a list",
                operator.name()
            );
            return Err(RuleError::new(value_span, message));
        }
        let span = (property.start, value_span.1);
        let comparison = Comparison {
            property: self.slice(property).to_string(),
            operator,
            value,
            span,
            property_span: property.span(),
            operator_span: operator_token.span(),
            value_span,
        };
        Ok((Expr::Comparison(comparison), span))
    }

    fn parse_collection(
        &mut self,
        property: Token,
        quantifier_token: Token,
        quantifier: Quantifier,
    ) -> Result<Spanned, RuleError> {
        self.enter(quantifier_token)?;
        self.pos += 1;
        self.collections += 1;
        let expectation = || format!("expected `_` or `(` after `{}`", quantifier.name());
        let (predicate, predicate_span) = match self.peek()? {
            Some(t) if t.kind == TokenKind::LParen => self.parse_group(t)?,
            Some(t) if t.kind == TokenKind::Word => self.parse_condition(t)?,
            Some(t) => return Err(self.unexpected(t, &expectation())),
            None => return Err(self.missing("`_` or `(`")),
        };
        self.collections -= 1;
        self.leave();
        let span = (property.start, predicate_span.1);
        let test = CollectionTest {
            property: self.slice(property).to_string(),
            quantifier,
            predicate: Box::new(predicate),
            span,
            property_span: property.span(),
            quantifier_span: quantifier_token.span(),
        };
        Ok((Expr::Collection(test), span))
    }

    fn parse_value(&mut self, operator: Token) -> Result<(Value, ByteSpan), RuleError> {
        let operator = self.slice(operator);
        let expectation = || format!("expected a value after {}", quote(operator));
        let Some(token) = self.peek()? else {
            return Err(self.missing("a value"));
        };
        match token.kind {
            TokenKind::Str => {
                self.pos += 1;
                Ok((Value::Str(decode_string(self.slice(token))), token.span()))
            }
            TokenKind::LBracket => self.parse_list(token),
            TokenKind::Word => self.parse_word_value(token, expectation),
            _ => Err(self.unexpected(token, &expectation())),
        }
    }

    /// Rejects keywords where a value belongs: `-eq -and` is a missing value, not the word.
    fn check_not_keyword(
        &self,
        token: Token,
        expectation: impl Fn() -> String,
    ) -> Result<(), RuleError> {
        let word = self.slice(token);
        match keyword(word) {
            Some(Keyword::Logical(_)) => Err(self.unexpected(token, &expectation())),
            Some(_) if strip_hyphen(word).is_some() => Err(self.unexpected(token, &expectation())),
            _ => Ok(()),
        }
    }

    fn parse_word_value(
        &mut self,
        token: Token,
        expectation: impl Fn() -> String,
    ) -> Result<(Value, ByteSpan), RuleError> {
        self.check_not_keyword(token, expectation)?;
        self.pos += 1;
        let value = scalar_word(self.slice(token));
        if !matches!(value, Value::Unquoted(_)) {
            return Ok((value, token.span()));
        }
        let end = self.parse_date_arithmetic()?.unwrap_or(token.end);
        let span = (token.start, end);
        Ok((Value::Unquoted(self.text[span.0..span.1].to_string()), span))
    }

    /// `-plus p1d` / `-minus p1d` after `system.now`: returns the end of the duration.
    fn parse_date_arithmetic(&mut self) -> Result<Option<usize>, RuleError> {
        let Some(sign) = self.peek()?.filter(|t| t.kind == TokenKind::Word) else {
            return Ok(None);
        };
        let word = self.slice(sign);
        let bare = strip_hyphen(word).unwrap_or(word);
        if !(bare.eq_ignore_ascii_case("plus") || bare.eq_ignore_ascii_case("minus")) {
            return Ok(None);
        }
        self.pos += 1;
        match self.peek()? {
            Some(t) if t.kind == TokenKind::Word => {
                self.pos += 1;
                Ok(Some(t.end))
            }
            Some(t) => Err(self.unexpected(t, "expected a duration such as `p1d`")),
            None => Err(self.missing("a duration such as `p1d`")),
        }
    }

    fn parse_list(&mut self, open: Token) -> Result<(Value, ByteSpan), RuleError> {
        self.pos += 1;
        let unclosed = || RuleError::new(open.span(), "unclosed `[`: no matching `]`");
        let mut items = Vec::new();
        loop {
            let token = self.peek()?.ok_or_else(unclosed)?;
            if token.kind == TokenKind::RBracket && items.is_empty() {
                self.pos += 1;
                return Ok((Value::List(items), (open.start, token.end)));
            }
            items.push(self.parse_list_item(token)?);
            let token = self.peek()?.ok_or_else(unclosed)?;
            match token.kind {
                TokenKind::Comma => self.pos += 1,
                TokenKind::RBracket => {
                    self.pos += 1;
                    return Ok((Value::List(items), (open.start, token.end)));
                }
                _ => return Err(self.unexpected(token, "expected `,` or `]`")),
            }
        }
    }

    fn parse_list_item(&mut self, token: Token) -> Result<Value, RuleError> {
        let expectation = "expected a list item such as `\"value\"`";
        let value = match token.kind {
            TokenKind::Str => Value::Str(decode_string(self.slice(token))),
            TokenKind::Word => {
                self.check_not_keyword(token, || expectation.to_string())?;
                scalar_word(self.slice(token))
            }
            _ => return Err(self.unexpected(token, expectation)),
        };
        self.pos += 1;
        Ok(value)
    }

    fn expect_end(&self) -> Result<(), RuleError> {
        match self.peek()? {
            None => Ok(()),
            Some(t) if t.kind == TokenKind::RParen => {
                Err(RuleError::new(t.span(), "unmatched `)`"))
            }
            Some(t) => Err(self.unexpected(t, "expected `-and` or `-or` between conditions")),
        }
    }
}

/// One operand stays itself; several become an n-ary `And`/`Or`.
fn join(mut operands: Vec<Spanned>, logical: Logical) -> Spanned {
    if operands.len() == 1 {
        return operands.swap_remove(0);
    }
    let span = (operands[0].1.0, operands[operands.len() - 1].1.1);
    let operands = operands.into_iter().map(|(e, _)| e).collect();
    let expr = match logical {
        Logical::Or => Expr::Or { operands, span },
        _ => Expr::And { operands, span },
    };
    (expr, span)
}

// ---------------------------------------------------------------------------------------------
// Join-type analysis

/// Which product the rule belongs to: the values of `device.deviceTrustType` differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Entra dynamic group membership rule (`AzureAD`, `ServerAD`, `Workplace`).
    GroupRule,
    /// Intune assignment filter rule (`Azure AD joined`, `Hybrid Azure AD joined`,
    /// `Azure AD registered`).
    AssignmentFilter,
}

/// What a rule says about the join types of the Windows devices it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinTypeAnalysis {
    /// Join types a member (device) matching the rule can have.
    pub possible: JoinTypeSet,
    /// Join types J such that every Windows device of type J matches the rule.
    pub certain: JoinTypeSet,
    /// The rule says something about deviceTrustType.
    pub constrained: bool,
    /// The rule is about users (user.* properties), not devices.
    pub user_rule: bool,
}

/// Which join types a rule can and must match, by evaluating it in three-valued logic for a
/// Windows device of each join type that exists in Entra (never `Domain`). Only
/// `device.deviceTrustType` and `device.deviceOSType` ("Windows") are known; every other
/// property, and every `-any`/`-all`, is unknown.
pub fn analyse(expr: &Expr, dialect: Dialect) -> JoinTypeAnalysis {
    let constrained = !trust_type_spans(expr).is_empty();
    let user_rule = mentions_user(expr);
    let mut analysis = JoinTypeAnalysis {
        possible: JoinTypeSet::EMPTY,
        certain: JoinTypeSet::EMPTY,
        constrained,
        user_rule,
    };
    if user_rule {
        // Members are users: the rule says nothing of their devices' join types.
        analysis.possible = JoinTypeSet::IN_ENTRA;
        return analysis;
    }
    for join in JoinTypeSet::IN_ENTRA.iter() {
        match WindowsDevice::new(join, dialect).evaluate(expr) {
            Truth::True => {
                analysis.possible = analysis.possible.with(join);
                analysis.certain = analysis.certain.with(join);
            }
            Truth::Unknown => analysis.possible = analysis.possible.with(join),
            Truth::False => {}
        }
    }
    analysis
}

/// Span (start, end) in the rule text of every comparison on deviceTrustType (for diagnostics
/// labels), in text order.
pub fn trust_type_spans(expr: &Expr) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    expr.visit(&mut |node| match node {
        Expr::Comparison(c) if c.property_is(TRUST_TYPE) => spans.push(c.span),
        Expr::Collection(c) if c.property.eq_ignore_ascii_case(TRUST_TYPE) => spans.push(c.span),
        _ => {}
    });
    spans
}

const TRUST_TYPE: &str = "device.deviceTrustType";
const OS_TYPE: &str = "device.deviceOSType";

fn is_user_property(property: &str) -> bool {
    property
        .get(..5)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("user."))
}

fn mentions_user(expr: &Expr) -> bool {
    let mut found = false;
    expr.visit(&mut |node| match node {
        Expr::Comparison(c) => found |= is_user_property(&c.property),
        Expr::Collection(c) => found |= is_user_property(&c.property),
        Expr::DirectReports { .. } => found = true,
        _ => {}
    });
    found
}

/// Kleene three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

/// What is known of a hypothetical Windows device of one join type.
struct WindowsDevice {
    trust_type: &'static str,
}

impl WindowsDevice {
    fn new(join: JoinType, dialect: Dialect) -> WindowsDevice {
        let trust_type = match (dialect, join) {
            (Dialect::GroupRule, JoinType::Entra) => "AzureAD",
            (Dialect::GroupRule, JoinType::Hybrid) => "ServerAD",
            (Dialect::GroupRule, JoinType::Registered) => "Workplace",
            (Dialect::AssignmentFilter, JoinType::Entra) => "Azure AD joined",
            (Dialect::AssignmentFilter, JoinType::Hybrid) => "Hybrid Azure AD joined",
            (Dialect::AssignmentFilter, JoinType::Registered) => "Azure AD registered",
            // Domain-only devices are not in Entra; nothing calls this for them.
            (_, JoinType::Domain) => "",
        };
        WindowsDevice { trust_type }
    }

    fn attribute(&self, property: &str) -> Option<&'static str> {
        if property.eq_ignore_ascii_case(TRUST_TYPE) {
            Some(self.trust_type)
        } else if property.eq_ignore_ascii_case(OS_TYPE) {
            Some("Windows")
        } else {
            None
        }
    }

    fn evaluate(&self, expr: &Expr) -> Truth {
        match expr {
            Expr::Comparison(c) => match self.attribute(&c.property) {
                Some(actual) => compare(actual, c.operator, &c.value),
                None => Truth::Unknown,
            },
            Expr::Collection(_) | Expr::DirectReports { .. } => Truth::Unknown,
            Expr::Not { operand, .. } => self.evaluate(operand).negate(),
            Expr::And { operands, .. } => operands
                .iter()
                .fold(Truth::True, |acc, e| acc.and(self.evaluate(e))),
            Expr::Or { operands, .. } => operands
                .iter()
                .fold(Truth::False, |acc, e| acc.or(self.evaluate(e))),
        }
    }
}

/// `actual <operator> value` for a known, non-null string attribute; case-insensitive.
fn compare(actual: &str, operator: Operator, value: &Value) -> Truth {
    let actual = actual.to_lowercase();
    let text_test = |test: fn(&str, &str) -> bool| match value {
        Value::Str(expected) => Truth::from_bool(test(&actual, &expected.to_lowercase())),
        _ => Truth::Unknown,
    };
    match operator {
        Operator::Eq => equals(&actual, value),
        Operator::Ne => equals(&actual, value).negate(),
        Operator::In => is_in(&actual, value),
        Operator::NotIn => is_in(&actual, value).negate(),
        Operator::StartsWith => text_test(|a, e| a.starts_with(e)),
        Operator::NotStartsWith => text_test(|a, e| a.starts_with(e)).negate(),
        Operator::EndsWith => text_test(|a, e| a.ends_with(e)),
        Operator::NotEndsWith => text_test(|a, e| a.ends_with(e)).negate(),
        Operator::Contains => text_test(|a, e| a.contains(e)),
        Operator::NotContains => text_test(|a, e| a.contains(e)).negate(),
        Operator::Match => matches_regex(&actual, value),
        Operator::NotMatch => matches_regex(&actual, value).negate(),
        // Ordering of strings is not something a rule on these attributes means.
        Operator::Le | Operator::Ge => Truth::Unknown,
    }
}

/// `actual` is lower-case.
fn equals(actual: &str, value: &Value) -> Truth {
    match value {
        Value::Str(expected) => Truth::from_bool(actual == expected.to_lowercase()),
        // The attribute is set, so it is not null.
        Value::Null => Truth::False,
        // A bare word or a number: what Entra would make of it is not known.
        _ => Truth::Unknown,
    }
}

fn is_in(actual: &str, value: &Value) -> Truth {
    match value {
        Value::List(items) => items
            .iter()
            .fold(Truth::False, |acc, item| acc.or(equals(actual, item))),
        scalar => equals(actual, scalar),
    }
}

/// `-match` is an unanchored, case-insensitive regular expression search. Entra uses .NET
/// regexes: a pattern the `regex` crate cannot compile (look-around...) gives Unknown.
fn matches_regex(actual: &str, value: &Value) -> Truth {
    let Value::Str(pattern) = value else {
        return Truth::Unknown;
    };
    let regex = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build();
    match regex {
        Ok(regex) => Truth::from_bool(regex.is_match(actual)),
        Err(_) => Truth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::json_files;

    fn comparison(expr: &Expr) -> &Comparison {
        match expr {
            Expr::Comparison(c) => c,
            other => panic!("expected a comparison, got {other:?}"),
        }
    }

    fn err(text: &str) -> RuleError {
        parse(text).expect_err(text)
    }

    /// The text an error points at.
    fn pointed<'t>(text: &'t str, e: &RuleError) -> &'t str {
        &text[e.offset..e.offset + e.len]
    }

    fn group(text: &str) -> JoinTypeAnalysis {
        analyse(&parse(text).expect(text), Dialect::GroupRule)
    }

    fn filter(text: &str) -> JoinTypeAnalysis {
        analyse(&parse(text).expect(text), Dialect::AssignmentFilter)
    }

    fn set(types: &[JoinType]) -> JoinTypeSet {
        JoinTypeSet::of(types)
    }

    use JoinType::{Entra, Hybrid, Registered};
    const ALL3: JoinTypeSet = JoinTypeSet::IN_ENTRA;

    // --- parser ---------------------------------------------------------------------------

    #[test]
    fn parses_simple_comparison_with_spans() {
        let text = r#"device.deviceTrustType -eq "AzureAD""#;
        let expr = parse(text).unwrap();
        let c = comparison(&expr);
        assert_eq!(c.property, "device.deviceTrustType");
        assert_eq!(c.operator, Operator::Eq);
        assert_eq!(c.value, Value::Str("AzureAD".into()));
        assert_eq!(c.span, (0, text.len()));
        assert_eq!(&text[c.operator_span.0..c.operator_span.1], "-eq");
        assert_eq!(&text[c.value_span.0..c.value_span.1], "\"AzureAD\"");
    }

    #[test]
    fn operators_without_hyphen_and_in_any_case() {
        for (word, op) in [
            ("eq", Operator::Eq),
            ("-EQ", Operator::Eq),
            ("Ne", Operator::Ne),
            ("-startswith", Operator::StartsWith),
            ("notStartsWith", Operator::NotStartsWith),
            ("-ENDSWITH", Operator::EndsWith),
            ("notendswith", Operator::NotEndsWith),
            ("-Contains", Operator::Contains),
            ("-notContains", Operator::NotContains),
            ("match", Operator::Match),
            ("-NotMatch", Operator::NotMatch),
            ("-le", Operator::Le),
            ("GE", Operator::Ge),
        ] {
            let text = format!(r#"device.displayName {word} "x""#);
            assert_eq!(comparison(&parse(&text).unwrap()).operator, op, "{text}");
        }
        let text = r#"device.x In ["a"] AND device.y -NOTIN ["b"] or NOT device.z eq "c""#;
        let Expr::Or { operands, .. } = parse(text).unwrap() else {
            panic!("expected or")
        };
        assert!(matches!(&operands[0], Expr::And { .. }));
        assert!(matches!(&operands[1], Expr::Not { .. }));
    }

    #[test]
    fn en_dash_is_accepted_as_hyphen() {
        let expr = parse("user.mail \u{2013}ne null \u{2013}and user.city –eq \"Lagos\"").unwrap();
        assert!(matches!(expr, Expr::And { .. }));
    }

    #[test]
    fn backtick_escapes_and_quote_styles() {
        let expr = parse(r#"device.displayName -eq "a`"b``c`d""#).unwrap();
        assert_eq!(comparison(&expr).value, Value::Str("a\"b`c`d".into()));
        let expr = parse("device.displayName -eq 'O''Brien'").unwrap();
        assert_eq!(comparison(&expr).value, Value::Str("O'Brien".into()));
        let expr = parse(r#"device.displayName -eq "it's""#).unwrap();
        assert_eq!(comparison(&expr).value, Value::Str("it's".into()));
    }

    #[test]
    fn scalar_values() {
        let value = |text: &str| comparison(&parse(text).unwrap()).value.clone();
        assert_eq!(value("user.accountEnabled -eq TRUE"), Value::Bool(true));
        assert_eq!(value("user.accountEnabled -eq false"), Value::Bool(false));
        assert_eq!(value("user.mail -ne Null"), Value::Null);
        assert_eq!(value("device.x -eq \"null\""), Value::Str("null".into()));
        assert_eq!(value("device.x -ge 42"), Value::Number("42".into()));
        assert_eq!(value("device.x -ge -1.5"), Value::Number("-1.5".into()));
        assert_eq!(
            value("user.employeeHireDate -le 2020-06-10T18:13:20Z"),
            Value::Unquoted("2020-06-10T18:13:20Z".into())
        );
        assert_eq!(
            value("user.employeeHireDate -ge system.now -plus p1d"),
            Value::Unquoted("system.now -plus p1d".into())
        );
    }

    #[test]
    fn lists() {
        let text = r#"device.deviceTrustType -in ["AzureAD", "ServerAD",'Workplace']"#;
        let c = comparison(&parse(text).unwrap()).clone();
        let expected = ["AzureAD", "ServerAD", "Workplace"].map(|s| Value::Str(s.into()));
        assert_eq!(c.value, Value::List(expected.to_vec()));
        assert_eq!(
            &text[c.value_span.0..c.value_span.1],
            r#"["AzureAD", "ServerAD",'Workplace']"#
        );
        let empty = parse("device.x -notIn []").unwrap();
        assert_eq!(comparison(&empty).value, Value::List(vec![]));
        let mixed = parse(r#"device.x -in [1, "a", null]"#).unwrap();
        assert_eq!(
            comparison(&mixed).value,
            Value::List(vec![
                Value::Number("1".into()),
                Value::Str("a".into()),
                Value::Null
            ])
        );
    }

    #[test]
    fn nested_parentheses() {
        let text = r#"((((device.x -eq "a")) and ((device.y -eq "b"))))"#;
        let Expr::And { operands, span } = parse(text).unwrap() else {
            panic!("expected and")
        };
        assert_eq!(operands.len(), 2);
        // The node spans its operands, parentheses around operands included.
        assert_eq!(
            &text[span.0..span.1],
            r#"((device.x -eq "a")) and ((device.y -eq "b"))"#
        );
        assert_eq!(comparison(&operands[1]).property, "device.y");
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let Expr::Or { operands, .. } =
            parse(r#"device.a -eq "1" or device.b -eq "2" and device.c -eq "3""#).unwrap()
        else {
            panic!("expected or")
        };
        assert_eq!(operands.len(), 2);
        assert_eq!(comparison(&operands[0]).property, "device.a");
        let Expr::And {
            operands: inner, ..
        } = &operands[1]
        else {
            panic!("expected and")
        };
        assert_eq!(comparison(&inner[1]).property, "device.c");
    }

    #[test]
    fn precedence_parentheses_override() {
        let expr = parse(r#"(device.a -eq "1" or device.b -eq "2") and device.c -eq "3""#).unwrap();
        let Expr::And { operands, .. } = expr else {
            panic!("expected and")
        };
        assert!(matches!(operands[0], Expr::Or { .. }));
    }

    #[test]
    fn not_binds_tighter_than_and_and_works_without_parentheses() {
        let text = r#"-not device.a -eq "1" -and device.b -eq "2""#;
        let Expr::And { operands, .. } = parse(text).unwrap() else {
            panic!("expected and")
        };
        let Expr::Not { operand, span } = &operands[0] else {
            panic!("expected not")
        };
        assert_eq!(comparison(operand).property, "device.a");
        assert_eq!(&text[span.0..span.1], r#"-not device.a -eq "1""#);
        let text = r#"-not (device.a -eq "1")"#;
        assert_eq!(parse(text).unwrap().span(), (0, text.len()));
        assert!(matches!(
            parse("not not device.a -eq \"1\"").unwrap(),
            Expr::Not { .. }
        ));
    }

    #[test]
    fn collection_with_underscore() {
        for text in [
            r#"device.devicePhysicalIds -any _ -contains "[ZTDId]""#,
            r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDID]"))"#,
            r#"device.devicePhysicalIds -ALL (_ -notStartsWith "[ZTDId]")"#,
        ] {
            let Expr::Collection(test) = parse(text).unwrap() else {
                panic!("expected a collection test: {text}")
            };
            assert_eq!(comparison(&test.predicate).property, "_");
            assert!(
                text.starts_with('(') || test.span == (0, text.len()),
                "{text}"
            );
        }
    }

    #[test]
    fn collection_with_sub_expression() {
        let text = r#"(user.assignedPlans -any (assignedPlan.servicePlanId -eq "c1ec4a95-1f05-45b3-a911-aa3fa01094f5" -and assignedPlan.capabilityStatus -eq "Enabled")) and (user.accountEnabled -eq true)"#;
        let Expr::And { operands, .. } = parse(text).unwrap() else {
            panic!("expected and")
        };
        let Expr::Collection(test) = &operands[0] else {
            panic!("expected a collection test")
        };
        assert_eq!(test.quantifier, Quantifier::Any);
        assert!(matches!(*test.predicate, Expr::And { .. }));
        let member_of = parse("device.memberOf -any (group.objectId -in ['a', 'b'])").unwrap();
        assert!(matches!(member_of, Expr::Collection(_)));
    }

    #[test]
    fn direct_reports_rule() {
        let expr = parse(r#"Direct Reports for "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb""#).unwrap();
        assert!(
            matches!(expr, Expr::DirectReports { ref manager_id, .. } if manager_id.starts_with("aaaa"))
        );
        assert!(group(r#"Direct Reports for "x""#).user_rule);
        let text = r#"Direct Reports "x""#;
        assert_eq!(pointed(text, &err(text)), "\"x\"");
    }

    #[test]
    fn long_chains_stay_flat() {
        let text = vec![r#"device.x -eq "a""#; 5000].join(" -or ");
        let Expr::Or { operands, .. } = parse(&text).unwrap() else {
            panic!("expected or")
        };
        assert_eq!(operands.len(), 5000);
        assert_eq!(group(&text).possible, ALL3);
    }

    // --- errors ---------------------------------------------------------------------------

    #[test]
    fn error_unterminated_string_points_at_opening_quote() {
        let text = r#"device.deviceTrustType -eq "AzureAD"#;
        let e = err(text);
        assert_eq!(e.message, "unterminated string");
        assert_eq!((e.offset, e.len), (27, 1));
        let text = r#"device.x -in ["a", "b]"#;
        assert_eq!(err(text).offset, 19);
        // An escaped quote does not close the string.
        assert_eq!(err(r#"device.x -eq "a`""#).offset, 13);
    }

    #[test]
    fn error_unknown_operator_spans_operator() {
        let text = r#"device.deviceTrustType -equals "x""#;
        let e = err(text);
        assert_eq!(pointed(text, &e), "-equals");
        assert!(
            e.message.starts_with("unknown operator `-equals`"),
            "{}",
            e.message
        );
        assert!(e.message.contains("-eq, -ne, -startsWith"), "{}", e.message);
        assert!(e.message.contains("-notIn"), "{}", e.message);
    }

    #[test]
    fn error_missing_close_paren_points_at_open() {
        let text = r#"(device.a -eq "1") and (device.b -eq "2""#;
        let e = err(text);
        assert_eq!((e.offset, e.len), (23, 1));
        assert!(e.message.contains("unclosed `(`"), "{}", e.message);
        let text = r#"((device.a -eq "1")"#;
        assert_eq!(err(text).offset, 0);
    }

    #[test]
    fn error_unclosed_list_points_at_bracket() {
        let text = r#"device.x -in ["a", "b""#;
        let e = err(text);
        assert_eq!((e.offset, e.len), (13, 1));
        let text = r#"device.x -in ["a" "b"]"#;
        assert_eq!(pointed(text, &err(text)), "\"b\"");
        let text = r#"device.x -in ["a",]"#;
        assert_eq!(pointed(text, &err(text)), "]");
    }

    #[test]
    fn error_trailing_garbage_points_at_it() {
        let text = r#"device.a -eq "1" garbage"#;
        let e = err(text);
        assert_eq!(pointed(text, &e), "garbage");
        let text = r#"(device.a -eq "1"))"#;
        let e = err(text);
        assert_eq!((e.offset, e.message.as_str()), (18, "unmatched `)`"));
        let text = r#"device.a -eq "1" device.b -eq "2""#;
        assert_eq!(pointed(text, &err(text)), "device.b");
        let text = r#"(device.a -eq "1" "2")"#;
        assert_eq!(pointed(text, &err(text)), "\"2\"");
    }

    #[test]
    fn error_empty_rule_at_offset_zero() {
        for text in ["", "   ", "\n\t"] {
            let e = err(text);
            assert_eq!((e.offset, e.len, e.message.as_str()), (0, 0, "empty rule"));
        }
    }

    #[test]
    fn error_missing_parts_point_at_end() {
        let text = "device.x";
        let e = err(text);
        assert_eq!((e.offset, e.len), (8, 0));
        assert!(e.message.contains("operator"), "{}", e.message);
        let text = "device.x -eq";
        let e = err(text);
        assert_eq!(
            (e.offset, e.message.as_str()),
            (12, "expected a value after `-eq`")
        );
        let text = r#"device.x -eq "a" -and"#;
        assert_eq!(err(text).message, "expected a condition after `-and`");
        let text = r#"device.x -eq -and device.y -eq "b""#;
        assert_eq!(pointed(text, &err(text)), "-and");
        assert_eq!(pointed("()", &err("()")), ")");
    }

    #[test]
    fn error_bad_properties() {
        let text = r#"deviceTrustType -eq "AzureAD""#;
        let e = err(text);
        assert_eq!(pointed(text, &e), "deviceTrustType");
        assert!(e.message.contains("object prefix"), "{}", e.message);
        let text = r#"_ -eq "x""#;
        assert_eq!(pointed(text, &err(text)), "_");
        let text = r#"-eq "x""#;
        assert_eq!(pointed(text, &err(text)), "-eq");
        let text = r#""x" -eq device.y"#;
        assert_eq!(pointed(text, &err(text)), "\"x\"");
        let text = r#"device.x == "y""#;
        assert_eq!(pointed(text, &err(text)), "==");
    }

    #[test]
    fn error_list_with_single_value_operator() {
        let text = r#"(user.jobTitle -eq "a") or (user.displayName -eq ["b", "c"])"#;
        let e = err(text);
        assert_eq!(pointed(text, &e), r#"["b", "c"]"#);
        assert!(e.message.contains("-in"), "{}", e.message);
    }

    #[test]
    fn error_nesting_too_deep() {
        let rule = r#"device.x -eq "a""#;
        let deep = format!("{}{rule}{}", "(".repeat(64), ")".repeat(64));
        let e = err(&deep);
        assert!(e.message.starts_with("nesting too deep"), "{}", e.message);
        assert_eq!((e.offset, e.len), (MAX_NESTING, 1));
        let shallow = format!("{}{rule}{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&shallow).is_ok());
        // Far deeper than any stack would survive without the limit.
        for hostile in [
            "(".repeat(1_000_000),
            "-not ".repeat(200_000),
            "device.x -any ".repeat(200_000),
            "[".repeat(100_000),
        ] {
            assert!(parse(&hostile).is_err());
        }
    }

    /// Every error points inside the text, on character boundaries.
    fn assert_error_well_formed(text: &str, e: &RuleError) {
        let end = e.offset + e.len;
        assert!(end <= text.len(), "{e:?} out of {text:?}");
        assert!(
            text.is_char_boundary(e.offset) && text.is_char_boundary(end),
            "{e:?} in {text:?}"
        );
        assert!(!e.message.is_empty());
    }

    fn assert_spans_well_formed(text: &str, expr: &Expr) {
        expr.visit(&mut |node| {
            let (start, end) = node.span();
            assert!(start <= end && end <= text.len(), "{node:?} in {text:?}");
            assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        });
    }

    /// xorshift64*: deterministic pseudo-random numbers without a dependency.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_no_panic(text: &str) {
        match parse(text) {
            Ok(expr) => {
                assert_spans_well_formed(text, &expr);
                analyse(&expr, Dialect::GroupRule);
                analyse(&expr, Dialect::AssignmentFilter);
                trust_type_spans(&expr);
            }
            Err(e) => assert_error_well_formed(text, &e),
        }
    }

    #[test]
    fn truncations_and_mutations_never_panic() {
        let seeds = [
            r#"(device.deviceTrustType -in ["AzureAD","ServerAD"]) -and -not (device.deviceOSType -match "^Win.*") or device.devicePhysicalIds -any _ -contains "[ZTDId]""#,
            r#"(user.assignedPlans -any (assignedPlan.servicePlanId -eq "c1ec4a95-1f05-45b3-a911-aa3fa01094f5" -and assignedPlan.capabilityStatus -eq "Enabled")) and (user.accountEnabled -eq true)"#,
            "device.displayName -eq \"a`\"é–b\" –and user.x -ge system.now -plus p1d or device.y in ['O''B', 1, null]",
            r#"Direct Reports for "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb""#,
        ];
        let alphabet: Vec<char> = "()[],\"'`-_. aAzZ0é–\u{feff}\0\n".chars().collect();
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for seed in seeds {
            check_no_panic(seed);
            for (i, _) in seed.char_indices() {
                check_no_panic(&seed[..i]);
                check_no_panic(&seed[i..]);
            }
            for _ in 0..3000 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..1 + random.below(4) {
                    let at = random.below(bytes.len());
                    match random.below(3) {
                        0 => bytes[at] = random.next() as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        _ => {
                            let c = alphabet[random.below(alphabet.len())];
                            let mut buf = [0; 4];
                            let encoded = c.encode_utf8(&mut buf).as_bytes();
                            bytes.splice(at..at, encoded.iter().copied());
                        }
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                check_no_panic(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    #[test]
    fn invalid_regex_is_unknown_not_a_panic() {
        let analysis = group(r#"device.deviceTrustType -match "(unclosed""#);
        assert_eq!(
            (analysis.possible, analysis.certain),
            (ALL3, JoinTypeSet::EMPTY)
        );
        let analysis = group(r#"device.deviceTrustType -match "(?<=x)AzureAD""#);
        assert_eq!(analysis.certain, JoinTypeSet::EMPTY);
    }

    // --- analysis --------------------------------------------------------------------------

    #[test]
    fn analysis_trust_type_eq() {
        let a = group(r#"(device.deviceTrustType -eq "AzureAD")"#);
        assert_eq!((a.possible, a.certain), (set(&[Entra]), set(&[Entra])));
        assert!(a.constrained && !a.user_rule);
    }

    #[test]
    fn analysis_trust_type_and_windows() {
        let a = group(
            r#"(device.deviceTrustType -eq "AzureAD") -and (device.deviceOSType -eq "Windows")"#,
        );
        assert_eq!((a.possible, a.certain), (set(&[Entra]), set(&[Entra])));
    }

    #[test]
    fn analysis_trust_type_and_unknown_property() {
        let a = group(
            r#"device.deviceTrustType eq "ServerAD" and device.deviceModel -startsWith "Surface""#,
        );
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Hybrid]), JoinTypeSet::EMPTY)
        );
    }

    #[test]
    fn analysis_trust_type_ne() {
        let a = group(r#"device.deviceTrustType -ne "AzureAD""#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Hybrid, Registered]), set(&[Hybrid, Registered]))
        );
    }

    #[test]
    fn analysis_trust_type_in_list() {
        let a = group(r#"device.deviceTrustType -in ["AzureAD","ServerAD"]"#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Entra, Hybrid]), set(&[Entra, Hybrid]))
        );
        let a = group(r#"device.deviceTrustType -notIn ["AzureAD","ServerAD"]"#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Registered]), set(&[Registered]))
        );
    }

    #[test]
    fn analysis_not_workplace() {
        let a = group(r#"-not (device.deviceTrustType -eq "Workplace")"#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Entra, Hybrid]), set(&[Entra, Hybrid]))
        );
    }

    #[test]
    fn analysis_windows_mdm_is_unconstrained() {
        let a =
            group(r#"(device.deviceOSType -eq "Windows") and (device.managementType -eq "MDM")"#);
        assert_eq!((a.possible, a.certain), (ALL3, JoinTypeSet::EMPTY));
        assert!(!a.constrained && !a.user_rule);
    }

    #[test]
    fn analysis_other_os_matches_no_windows_device() {
        let a = group(r#"device.deviceOSType -eq "iOS""#);
        assert_eq!(
            (a.possible, a.certain),
            (JoinTypeSet::EMPTY, JoinTypeSet::EMPTY)
        );
        let a = group(r#"device.deviceOSType -startsWith "win""#);
        assert_eq!((a.possible, a.certain), (ALL3, ALL3));
    }

    #[test]
    fn analysis_collection_is_unknown() {
        let a = group(r#"device.devicePhysicalIds -any _ -contains "[ZTDId]""#);
        assert_eq!((a.possible, a.certain), (ALL3, JoinTypeSet::EMPTY));
        assert!(!a.constrained);
    }

    #[test]
    fn analysis_or_of_trust_types() {
        let a = group(
            r#"(device.deviceTrustType -eq "AzureAD") or (device.deviceTrustType -eq "ServerAD")"#,
        );
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Entra, Hybrid]), set(&[Entra, Hybrid]))
        );
        let text =
            r#"(device.deviceTrustType -eq "AzureAD") or (device.deviceTrustType -eq "ServerAD")"#;
        let spans = trust_type_spans(&parse(text).unwrap());
        let labels: Vec<&str> = spans.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            labels,
            [
                r#"device.deviceTrustType -eq "AzureAD""#,
                r#"device.deviceTrustType -eq "ServerAD""#
            ]
        );
    }

    #[test]
    fn analysis_filter_dialect() {
        let a =
            filter(r#"(device.deviceTrustType -in ["Hybrid Azure AD joined","Azure AD joined"])"#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Entra, Hybrid]), set(&[Entra, Hybrid]))
        );
        let a = filter(r#"device.deviceTrustType -eq "Azure AD registered""#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Registered]), set(&[Registered]))
        );
        let a = group(r#"device.deviceTrustType -eq "Azure AD joined""#);
        assert_eq!(
            (a.possible, a.certain),
            (JoinTypeSet::EMPTY, JoinTypeSet::EMPTY)
        );
        let a = filter(r#"device.deviceTrustType -eq "AzureAD""#);
        assert_eq!(a.possible, JoinTypeSet::EMPTY);
    }

    #[test]
    fn analysis_match_regex() {
        let a = group(r#"device.deviceTrustType -match "^(AzureAD|ServerAD)$""#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Entra, Hybrid]), set(&[Entra, Hybrid]))
        );
        let a = group(r#"device.deviceTrustType -notMatch "ad$""#);
        assert_eq!(
            (a.possible, a.certain),
            (set(&[Registered]), set(&[Registered]))
        );
    }

    #[test]
    fn analysis_string_operators_are_case_insensitive() {
        let a = group(r#"device.DEVICETRUSTTYPE -EQ "azuread""#);
        assert_eq!(a.certain, set(&[Entra]));
        let a = group(r#"device.deviceTrustType -startsWith "AZURE""#);
        assert_eq!(a.certain, set(&[Entra]));
        let a = group(r#"device.deviceTrustType -endsWith "ad""#);
        assert_eq!(a.certain, set(&[Entra, Hybrid]));
        let a = group(r#"device.deviceTrustType -contains "place""#);
        assert_eq!(a.certain, set(&[Registered]));
        let a = filter(r#"device.deviceTrustType -notContains "hybrid""#);
        assert_eq!(a.certain, set(&[Entra, Registered]));
    }

    #[test]
    fn analysis_null_comparisons() {
        let a = group("device.deviceTrustType -eq null");
        assert_eq!(a.possible, JoinTypeSet::EMPTY);
        let a = group("device.deviceTrustType -ne null");
        assert_eq!(a.certain, ALL3);
    }

    #[test]
    fn analysis_user_rule() {
        let a = group("(user.accountEnabled -eq true)");
        assert!(a.user_rule && !a.constrained);
        assert_eq!((a.possible, a.certain), (ALL3, JoinTypeSet::EMPTY));
        let a = group(r#"user.assignedPlans -any (assignedPlan.servicePlanId -eq "x")"#);
        assert!(a.user_rule);
    }

    #[test]
    fn analysis_never_includes_domain() {
        for rule in [
            "device.deviceTrustType -ne \"x\"",
            "device.x -eq \"y\"",
            "user.x -eq \"y\"",
        ] {
            let a = group(rule);
            assert!(
                !a.possible.contains(JoinType::Domain) && !a.certain.contains(JoinType::Domain)
            );
        }
    }

    // --- real exports ---------------------------------------------------------------------

    /// Reads a JSON export: UTF-8 with or without BOM, or UTF-16LE with BOM.
    fn read_json(path: &std::path::Path) -> Option<serde_json::Value> {
        let bytes = std::fs::read(path).ok()?;
        let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            String::from_utf16(&units).ok()?
        } else {
            let rest = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
            String::from_utf8(rest.to_vec()).ok()?
        };
        serde_json::from_str(&text).ok()
    }

    fn collect_rules(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        serde_json::Value::String(s)
                            if (key == "membershipRule" || key == "rule")
                                && !s.trim().is_empty() =>
                        {
                            out.push(s.clone())
                        }
                        _ => collect_rules(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect_rules(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_rule_in_the_corpus_parses() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        if !corpus.exists() {
            eprintln!("skipping: {} is absent", corpus.display());
            return;
        }
        let mut files = Vec::new();
        json_files(&corpus.join("entra-groups"), &mut files);
        json_files(
            &corpus.join("intune-json/ennnbeee__CES2026-IntuneCD"),
            &mut files,
        );
        let mut rules = Vec::new();
        for file in &files {
            match read_json(file) {
                Some(json) => collect_rules(&json, &mut rules),
                None => eprintln!("not JSON, skipped: {}", file.display()),
            }
        }
        assert!(rules.len() >= 50, "only {} rules found", rules.len());
        let failures: Vec<String> = rules
            .iter()
            .filter_map(|rule| parse(rule).err().map(|e| format!("{rule}\n  {e:?}")))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        for rule in &rules {
            let a = analyse(&parse(rule).unwrap(), Dialect::GroupRule);
            if rule.to_ascii_lowercase().contains("user.") {
                assert!(a.user_rule, "{rule}");
            }
            if rule.contains("\"iPhone\"") || rule.contains("\"MacMDM\"") {
                assert_eq!(a.possible, JoinTypeSet::EMPTY, "{rule}");
            }
        }
    }
}
