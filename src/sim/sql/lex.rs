//! PostgreSQL's lexical rules for the SQL store's parser: identifiers (quoted or not),
//! numbers, the string forms (`'..'` with `''`, `E'..'` with backslash escapes, `N'..'`,
//! `$tag$..$tag$`, and quoted strings continued across a newline), operators, and comments
//! (`--` and nesting `/* */`). Tokens hold byte spans into the text; only strings and quoted
//! identifiers own their resolved text.

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// An unquoted identifier or keyword, as written (the span).
    Word,
    /// A quoted identifier, with `""` resolved.
    Quoted(String),
    /// A numeric literal, as written (the span).
    Number,
    /// A string literal, with its escapes resolved.
    Str(String),
    /// An operator or punctuation, as written (the span).
    Op,
    /// Text the lexer cannot read: PostgreSQL's message (raised when the parser reaches it).
    Bad(String),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Characters PostgreSQL's operators are made of.
fn op_char(c: u8) -> bool {
    b"+-*/<>=~!@#%^&|`?".contains(&c)
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_char(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit() || c == b'$'
}

/// Split `src` into tokens, ending with [`Kind::Eof`].
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        i: 0,
        out: Vec::new(),
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.out.push(Token {
            kind,
            start,
            end: self.i,
        });
    }

    fn run(&mut self) {
        loop {
            if let Err(message) = self.skip_blank() {
                let start = self.i;
                self.i = self.b.len();
                self.push(Kind::Bad(message), start);
            }
            let start = self.i;
            let c = self.peek(0);
            if self.i >= self.b.len() {
                self.push(Kind::Eof, start);
                return;
            }
            let kind = match c {
                b'\'' => self.string(false),
                b'"' => self.quoted_ident(),
                b'$' if self.peek(1).is_ascii_digit() => {
                    self.i += 1;
                    while self.peek(0).is_ascii_digit() {
                        self.i += 1;
                    }
                    Kind::Bad("not supported: positional parameters ($1)".into())
                }
                b'$' => self.dollar_string(),
                b'0'..=b'9' => self.number(),
                b'.' if self.peek(1).is_ascii_digit() => self.number(),
                b'e' | b'E' if self.peek(1) == b'\'' => {
                    self.i += 1;
                    self.string(true)
                }
                b'n' | b'N' if self.peek(1) == b'\'' => {
                    self.i += 1;
                    self.string(false)
                }
                b'b' | b'B' | b'x' | b'X' if self.peek(1) == b'\'' => {
                    self.i += 1;
                    let _ = self.string(false);
                    Kind::Bad("not supported: bit-string literals".into())
                }
                b'u' | b'U' if self.peek(1) == b'&' && matches!(self.peek(2), b'\'' | b'"') => {
                    self.i += 2;
                    let _ = if self.peek(0) == b'"' {
                        self.quoted_ident()
                    } else {
                        self.string(false)
                    };
                    Kind::Bad("not supported: Unicode escapes (U&)".into())
                }
                c if ident_start(c) => {
                    while ident_char(self.peek(0)) {
                        self.i += 1;
                    }
                    Kind::Word
                }
                b':' if self.peek(1) == b':' => {
                    self.i += 2;
                    Kind::Op
                }
                c if op_char(c) => self.operator(),
                _ => {
                    // One character of punctuation: ( ) , ; . [ ] : and anything else, which
                    // the parser reports as a syntax error at it.
                    let len = self.src[self.i..].chars().next().map_or(1, char::len_utf8);
                    self.i += len;
                    Kind::Op
                }
            };
            self.push(kind, start);
        }
    }

    /// Whitespace and comments.
    fn skip_blank(&mut self) -> Result<(), String> {
        loop {
            let c = self.peek(0);
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else if c == b'-' && self.peek(1) == b'-' {
                while self.i < self.b.len() && self.peek(0) != b'\n' {
                    self.i += 1;
                }
            } else if c == b'/' && self.peek(1) == b'*' {
                let start = self.i;
                let mut depth = 0usize;
                loop {
                    if self.i >= self.b.len() {
                        self.i = start;
                        return Err("unterminated /* comment".into());
                    }
                    if self.peek(0) == b'/' && self.peek(1) == b'*' {
                        depth += 1;
                        self.i += 2;
                    } else if self.peek(0) == b'*' && self.peek(1) == b'/' {
                        depth -= 1;
                        self.i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.i += 1;
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    /// A quoted string starting at `'`; a string that follows after whitespace containing a
    /// newline continues it (SQL's rule, kept by PostgreSQL).
    fn string(&mut self, escapes: bool) -> Kind {
        let mut text = String::new();
        loop {
            if let Err(e) = self.string_part(escapes, &mut text) {
                return Kind::Bad(e);
            }
            let save = self.i;
            let mut newline = false;
            while self.peek(0).is_ascii_whitespace() {
                newline |= self.peek(0) == b'\n';
                self.i += 1;
            }
            if !(newline && self.peek(0) == b'\'') {
                self.i = save;
                return Kind::Str(text);
            }
        }
    }

    fn string_part(&mut self, escapes: bool, text: &mut String) -> Result<(), String> {
        self.i += 1; // the opening quote
        let mut run = self.i;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err("unterminated quoted string".into());
            };
            match c {
                b'\'' if self.peek(1) == b'\'' => {
                    text.push_str(&self.src[run..=self.i]);
                    self.i += 2;
                    run = self.i;
                }
                b'\'' => {
                    text.push_str(&self.src[run..self.i]);
                    self.i += 1;
                    return Ok(());
                }
                b'\\' if escapes => {
                    text.push_str(&self.src[run..self.i]);
                    self.i += 1;
                    self.escape(text)?;
                    run = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    /// One backslash escape of an `E'..'` string (after the backslash).
    fn escape(&mut self, text: &mut String) -> Result<(), String> {
        let c = self.peek(0);
        let simple = match c {
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(ch) = simple {
            text.push(ch);
            self.i += 1;
            return Ok(());
        }
        let digits = |lx: &mut Self, radix: u32, max: usize| {
            let start = lx.i;
            while lx.i - start < max && (lx.peek(0) as char).is_digit(radix) {
                lx.i += 1;
            }
            u32::from_str_radix(&lx.src[start..lx.i], radix).ok()
        };
        let code = match c {
            b'0'..=b'7' => digits(self, 8, 3),
            b'x' if (self.peek(1) as char).is_ascii_hexdigit() => {
                self.i += 1;
                digits(self, 16, 2)
            }
            b'u' | b'U' => {
                self.i += 1;
                let n = if c == b'u' { 4 } else { 8 };
                let start = self.i;
                let v = digits(self, 16, n);
                if self.i - start != n {
                    return Err("invalid Unicode escape".into());
                }
                v
            }
            0 => return Err("unterminated quoted string".into()),
            _ => {
                // Any other character stands for itself.
                let ch = self.src[self.i..].chars().next().unwrap_or('\\');
                text.push(ch);
                self.i += ch.len_utf8();
                return Ok(());
            }
        };
        match code.and_then(char::from_u32) {
            Some('\0') | None => Err("invalid byte sequence for encoding \"UTF8\": 0x00".into()),
            Some(ch) => {
                text.push(ch);
                Ok(())
            }
        }
    }

    fn quoted_ident(&mut self) -> Kind {
        let mut text = String::new();
        self.i += 1;
        let mut run = self.i;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Kind::Bad("unterminated quoted identifier".into());
            };
            if c == b'"' && self.peek(1) == b'"' {
                text.push_str(&self.src[run..=self.i]);
                self.i += 2;
                run = self.i;
            } else if c == b'"' {
                text.push_str(&self.src[run..self.i]);
                self.i += 1;
                if text.is_empty() {
                    return Kind::Bad("zero-length delimited identifier".into());
                }
                return Kind::Quoted(text);
            } else {
                self.i += 1;
            }
        }
    }

    /// `$tag$ .. $tag$` (the tag may be empty).
    fn dollar_string(&mut self) -> Kind {
        let start = self.i;
        let mut j = self.i + 1;
        while j < self.b.len() && ident_char(self.b[j]) && self.b[j] != b'$' {
            j += 1;
        }
        if self.b.get(j) != Some(&b'$') {
            self.i += 1;
            return Kind::Op;
        }
        let tag = &self.src[start..=j];
        let body = j + 1;
        match self.src[body..].find(tag) {
            Some(k) => {
                self.i = body + k + tag.len();
                Kind::Str(self.src[body..body + k].to_string())
            }
            None => {
                self.i = self.b.len();
                Kind::Bad("unterminated dollar-quoted string".into())
            }
        }
    }

    /// Digits, an optional fraction and an optional exponent.
    fn number(&mut self) -> Kind {
        let digits = |lx: &mut Self| {
            while lx.peek(0).is_ascii_digit() {
                lx.i += 1;
            }
        };
        digits(self);
        if self.peek(0) == b'.' && self.peek(1) != b'.' {
            self.i += 1;
            digits(self);
        }
        if matches!(self.peek(0), b'e' | b'E') {
            let sign = usize::from(matches!(self.peek(1), b'+' | b'-'));
            if self.peek(1 + sign).is_ascii_digit() {
                self.i += 1 + sign;
                digits(self);
            }
        }
        if ident_start(self.peek(0)) {
            while ident_char(self.peek(0)) {
                self.i += 1;
            }
            return Kind::Bad("trailing junk after numeric literal".into());
        }
        Kind::Number
    }

    /// The longest run of operator characters, cut before a comment, and without a trailing
    /// `+` or `-` unless it holds one of `~!@#%^&|``?` (PostgreSQL's rule, so `1*-2` is
    /// `*` then `-`).
    fn operator(&mut self) -> Kind {
        let start = self.i;
        let mut end = start;
        while end < self.b.len() && op_char(self.b[end]) {
            if end > start && matches!(&self.b[end..], [b'-', b'-', ..] | [b'/', b'*', ..]) {
                break;
            }
            end += 1;
        }
        let special = self.b[start..end].iter().any(|c| b"~!@#%^&|`?".contains(c));
        while end - start > 1 && !special && matches!(self.b[end - 1], b'+' | b'-') {
            end -= 1;
        }
        self.i = end;
        Kind::Op
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        tokenize(src)
            .iter()
            .map(|t| match &t.kind {
                Kind::Str(s) => format!("'{s}'"),
                Kind::Quoted(s) => format!("\"{s}\""),
                Kind::Bad(m) => format!("!{m}"),
                Kind::Eof => "$".into(),
                _ => src[t.start..t.end].to_string(),
            })
            .collect()
    }

    #[test]
    fn operators_split_as_in_postgres() {
        assert_eq!(texts("1*-2"), ["1", "*", "-", "2", "$"]);
        assert_eq!(
            texts("a<>b>=c||d::int"),
            ["a", "<>", "b", ">=", "c", "||", "d", "::", "int", "$"]
        );
        assert_eq!(texts("a--x\n+b/*c/*d*/*/"), ["a", "+", "b", "$"]);
        assert_eq!(texts("a=-1"), ["a", "=", "-", "1", "$"]);
    }

    #[test]
    fn strings_and_identifiers_resolve_their_escapes() {
        assert_eq!(
            texts("'it''s' E'a\\nb\\x41' $$x'y$$ $t$z$t$"),
            ["'it's'", "'a\nbA'", "'x'y'", "'z'", "$"]
        );
        assert_eq!(texts("'a'\n  'b' 'c'"), ["'ab'", "'c'", "$"]);
        assert_eq!(texts("\"Mixed \"\"q\"\"\""), ["\"Mixed \"q\"\"", "$"]);
        assert_eq!(texts("1.5e3 .5 1."), ["1.5e3", ".5", "1.", "$"]);
        assert_eq!(texts("2e"), ["!trailing junk after numeric literal", "$"]);
    }

    #[test]
    fn unterminated_text_is_a_bad_token_not_a_panic() {
        assert_eq!(texts("'abc"), ["!unterminated quoted string", "$"]);
        assert_eq!(texts("a /* x"), ["a", "!unterminated /* comment", "$"]);
        assert_eq!(texts("E'\\"), ["!unterminated quoted string", "$"]);
        assert_eq!(texts("\"\""), ["!zero-length delimited identifier", "$"]);
        assert_eq!(texts("é ü"), ["é", "ü", "$"]);
    }
}
