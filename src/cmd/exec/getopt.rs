//! A small emulation of glibc `getopt_long` in "+" mode (stop at the first non-option), so that
//! exec mode accepts exactly the command lines nsenter accepts and rejects the others with the
//! same words.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasArg {
    No,
    Required,
    /// Only attached: `-nFILE`, `--net=FILE`; a separate word is never taken.
    Optional,
}

#[derive(Debug, Clone, Copy)]
pub struct LongOpt<K> {
    pub name: &'static str,
    pub has_arg: HasArg,
    pub key: K,
}

#[derive(Debug, Clone, Copy)]
pub struct ShortOpt<K> {
    pub ch: u8,
    pub has_arg: HasArg,
    pub key: K,
}

/// glibc's diagnostic, without the `argv[0]: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetoptError(pub String);

pub struct Getopt<'a, K> {
    args: &'a [OsString],
    shorts: &'a [ShortOpt<K>],
    longs: &'a [LongOpt<K>],
    /// Index of the word being looked at.
    optind: usize,
    /// Byte offset inside a cluster of short options (`-mnu`), 0 when between words.
    nextchar: usize,
    done: bool,
}

impl<'a, K: Copy + PartialEq> Getopt<'a, K> {
    /// `args` excludes the program name.
    pub fn new(args: &'a [OsString], shorts: &'a [ShortOpt<K>], longs: &'a [LongOpt<K>]) -> Self {
        Getopt {
            args,
            shorts,
            longs,
            optind: 0,
            nextchar: 0,
            done: false,
        }
    }

    /// The operands: everything after the options (valid once `next` returned None).
    pub fn operands(&self) -> &'a [OsString] {
        &self.args[self.optind.min(self.args.len())..]
    }

    fn long(&mut self, body: &[u8]) -> Result<(K, Option<OsString>), GetoptError> {
        let shown = String::from_utf8_lossy(body).into_owned();
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let mut found: Option<&LongOpt<K>> = None;
        let mut ambiguous: Vec<&LongOpt<K>> = Vec::new();
        if let Some(exact) = self.longs.iter().find(|o| o.name.as_bytes() == name) {
            found = Some(exact);
        } else {
            for o in self
                .longs
                .iter()
                .filter(|o| o.name.as_bytes().starts_with(name))
            {
                match found {
                    None => found = Some(o),
                    // glibc tolerates several prefixes of options that do the same thing.
                    Some(f) if f.has_arg == o.has_arg && f.key == o.key => {}
                    Some(f) => {
                        if ambiguous.is_empty() {
                            ambiguous.push(f);
                        }
                        ambiguous.push(o);
                    }
                }
            }
        }
        if !ambiguous.is_empty() {
            let list: Vec<String> = ambiguous
                .iter()
                .map(|o| format!(" '--{}'", o.name))
                .collect();
            return Err(GetoptError(format!(
                "option '--{shown}' is ambiguous; possibilities:{}",
                list.concat()
            )));
        }
        let Some(opt) = found else {
            return Err(GetoptError(format!("unrecognized option '--{shown}'")));
        };
        match (opt.has_arg, value) {
            (HasArg::No, Some(_)) => Err(GetoptError(format!(
                "option '--{}' doesn't allow an argument",
                opt.name
            ))),
            (_, Some(v)) => Ok((opt.key, Some(OsString::from_vec(v.to_vec())))),
            (HasArg::Required, None) => match self.args.get(self.optind) {
                Some(v) => {
                    self.optind += 1;
                    Ok((opt.key, Some(v.clone())))
                }
                None => Err(GetoptError(format!(
                    "option '--{}' requires an argument",
                    opt.name
                ))),
            },
            (_, None) => Ok((opt.key, None)),
        }
    }

    fn short(&mut self) -> Result<(K, Option<OsString>), GetoptError> {
        let word = self.args[self.optind].as_bytes();
        let ch = word[self.nextchar];
        let rest = &word[self.nextchar + 1..];
        let at_end = rest.is_empty();
        let opt = self.shorts.iter().find(|o| o.ch == ch).copied();
        // Advance past this character; the word is finished when nothing follows it.
        let advance = |g: &mut Self| {
            if at_end {
                g.optind += 1;
                g.nextchar = 0;
            } else {
                g.nextchar += 1;
            }
        };
        let Some(opt) = opt else {
            advance(self);
            return Err(GetoptError(format!(
                "invalid option -- '{}'",
                String::from_utf8_lossy(&[ch])
            )));
        };
        match opt.has_arg {
            HasArg::No => {
                advance(self);
                Ok((opt.key, None))
            }
            HasArg::Optional => {
                let arg = (!at_end).then(|| OsString::from_vec(rest.to_vec()));
                self.optind += 1;
                self.nextchar = 0;
                Ok((opt.key, arg))
            }
            HasArg::Required => {
                let arg = if !at_end {
                    OsString::from_vec(rest.to_vec())
                } else if let Some(next) = self.args.get(self.optind + 1) {
                    self.optind += 1;
                    next.clone()
                } else {
                    self.optind += 1;
                    self.nextchar = 0;
                    return Err(GetoptError(format!(
                        "option requires an argument -- '{}'",
                        ch as char
                    )));
                };
                self.optind += 1;
                self.nextchar = 0;
                Ok((opt.key, Some(arg)))
            }
        }
    }
}

impl<K: Copy + PartialEq> Iterator for Getopt<'_, K> {
    type Item = Result<(K, Option<OsString>), GetoptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.nextchar == 0 {
            let Some(word) = self.args.get(self.optind) else {
                self.done = true;
                return None;
            };
            let w = word.as_bytes();
            if w == b"--" {
                self.optind += 1;
                self.done = true;
                return None;
            }
            // "+" mode: the first operand (or a lone "-") ends the options.
            if w.len() < 2 || w[0] != b'-' {
                self.done = true;
                return None;
            }
            if w.starts_with(b"--") {
                self.optind += 1;
                let body = OsStr::from_bytes(&w[2..]).to_owned();
                return Some(self.long(body.as_bytes()));
            }
            self.nextchar = 1;
        }
        Some(self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORTS: &[ShortOpt<char>] = &[
        ShortOpt {
            ch: b'a',
            has_arg: HasArg::No,
            key: 'a',
        },
        ShortOpt {
            ch: b't',
            has_arg: HasArg::Required,
            key: 't',
        },
        ShortOpt {
            ch: b'n',
            has_arg: HasArg::Optional,
            key: 'n',
        },
    ];
    const LONGS: &[LongOpt<char>] = &[
        LongOpt {
            name: "all",
            has_arg: HasArg::No,
            key: 'a',
        },
        LongOpt {
            name: "target",
            has_arg: HasArg::Required,
            key: 't',
        },
        LongOpt {
            name: "net",
            has_arg: HasArg::Optional,
            key: 'n',
        },
        LongOpt {
            name: "net-socket",
            has_arg: HasArg::Required,
            key: 'N',
        },
        LongOpt {
            name: "no-fork",
            has_arg: HasArg::No,
            key: 'F',
        },
    ];

    type Parsed = (Vec<(char, Option<String>)>, Vec<String>);

    fn run(words: &[&str]) -> Result<Parsed, String> {
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        let mut g = Getopt::new(&args, SHORTS, LONGS);
        let mut out = Vec::new();
        for item in g.by_ref() {
            let (k, v) = item.map_err(|e| e.0)?;
            out.push((k, v.map(|v| v.into_string().unwrap())));
        }
        let rest = g
            .operands()
            .iter()
            .map(|s| s.to_str().unwrap().to_owned())
            .collect();
        Ok((out, rest))
    }

    fn opt(k: char, v: Option<&str>) -> (char, Option<String>) {
        (k, v.map(str::to_owned))
    }

    #[test]
    fn clusters_and_attached_arguments() {
        let (o, rest) = run(&["-an/x", "-t4242", "-t", "-5", "ip", "-a"]).unwrap();
        assert_eq!(
            o,
            vec![
                opt('a', None),
                opt('n', Some("/x")),
                opt('t', Some("4242")),
                opt('t', Some("-5")),
            ]
        );
        assert_eq!(rest, vec!["ip", "-a"]);
        // The optional argument is never a separate word.
        let (o, rest) = run(&["-n", "/x"]).unwrap();
        assert_eq!(o, vec![opt('n', None)]);
        assert_eq!(rest, vec!["/x"]);
        // "-n=/x" keeps the '=' as glibc does; callers strip it.
        let (o, _) = run(&["-n=/x"]).unwrap();
        assert_eq!(o, vec![opt('n', Some("=/x"))]);
    }

    #[test]
    fn double_dash_and_lone_dash_end_options() {
        let (o, rest) = run(&["-a", "--", "-n"]).unwrap();
        assert_eq!(o, vec![opt('a', None)]);
        assert_eq!(rest, vec!["-n"]);
        let (_, rest) = run(&["-", "-a"]).unwrap();
        assert_eq!(rest, vec!["-", "-a"]);
    }

    #[test]
    fn long_options_exact_prefix_and_values() {
        let (o, _) = run(&["--target=1", "--tar", "2", "--net", "--net=/f", "--all"]).unwrap();
        assert_eq!(
            o,
            vec![
                opt('t', Some("1")),
                opt('t', Some("2")),
                opt('n', None),
                opt('n', Some("/f")),
                opt('a', None),
            ]
        );
        // "--net" is exact even though "--net-socket" shares the prefix; "--net=" is empty.
        let (o, _) = run(&["--net="]).unwrap();
        assert_eq!(o, vec![opt('n', Some(""))]);
    }

    #[test]
    fn errors_use_glibc_words() {
        assert_eq!(run(&["-x"]).unwrap_err(), "invalid option -- 'x'");
        assert_eq!(
            run(&["-t"]).unwrap_err(),
            "option requires an argument -- 't'"
        );
        assert_eq!(
            run(&["--target"]).unwrap_err(),
            "option '--target' requires an argument"
        );
        assert_eq!(
            run(&["--foo=bar"]).unwrap_err(),
            "unrecognized option '--foo=bar'"
        );
        assert_eq!(
            run(&["--al=3"]).unwrap_err(),
            "option '--all' doesn't allow an argument"
        );
        assert_eq!(
            run(&["--n"]).unwrap_err(),
            "option '--n' is ambiguous; possibilities: '--net' '--net-socket' '--no-fork'"
        );
        assert_eq!(
            run(&["--net-"]).unwrap_err(),
            "option '--net-socket' requires an argument"
        );
    }
}
