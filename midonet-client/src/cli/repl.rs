//! The prompt: `midonet> ` with line editing, history (`~/.midonet-cli-history`) and tab
//! completion at a terminal; a plain read loop that still prints the prompt when stdin is a
//! pipe, as MidoNet's CLI (Python's `cmd` over `input()`) does.

use std::io::BufRead;
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::commands::run_line;
use super::grammar::{split_words, Ctx, Tok};
use super::session::Session;

pub const PROMPT: &str = "midonet> ";

/// Runs commands until `quit`, `exit`, end of input or an ended session; returns whether the
/// last command succeeded (the exit status MidoNet's CLI gives).
pub fn run(s: &Session, grammar: &Tok, terminal: bool, history: Option<PathBuf>) -> bool {
    if terminal {
        match interactive(s, grammar, history) {
            Ok(ok) => return ok,
            Err(e) => eprintln!("midonet-cli: the line editor failed ({e}); reading plain lines"),
        }
    }
    piped(s, grammar, std::io::stdin().lock())
}

/// The loop over plain lines (a pipe, or a terminal the editor cannot drive).
pub fn piped(s: &Session, grammar: &Tok, mut input: impl BufRead) -> bool {
    let mut succeeded = true;
    loop {
        s.write(PROMPT);
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => {
                // Python's cmd turns end of input into `EOF`, which prints an empty line.
                s.println("");
                return succeeded;
            }
            Ok(_) => {}
        }
        let outcome = run_line(s, grammar, &line);
        if let Some(ok) = outcome.succeeded {
            succeeded = ok;
        }
        if outcome.stop {
            return succeeded;
        }
    }
}

fn interactive(s: &Session, grammar: &Tok, history: Option<PathBuf>) -> rustyline::Result<bool> {
    // The completer borrows the session and the grammar for the life of the editor.
    // Tab completes the common prefix and a second Tab lists the words, as readline does.
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<LineCompleter<'_>, _> = Editor::with_config(config)?;
    editor.set_helper(Some(LineCompleter {
        session: s,
        grammar,
    }));
    if let Some(path) = &history {
        // No history yet is the normal first run.
        let _ = editor.load_history(path);
    }
    let mut succeeded = true;
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let outcome = run_line(s, grammar, &line);
                if let Some(ok) = outcome.succeeded {
                    succeeded = ok;
                }
                if outcome.stop {
                    break;
                }
            }
            // Ctrl-C drops the line being typed, as a shell does.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                s.println("");
                break;
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(path) = &history {
        if let Err(e) = editor.save_history(path) {
            eprintln!(
                "midonet-cli: cannot save the history to {}: {e}",
                path.display()
            );
        }
    }
    Ok(succeeded)
}

/// The words that complete `line` (the text before the cursor): each candidate is the whole
/// line with its last word completed, a space after it when it is the only one.
pub fn complete_line(s: &Session, grammar: &Tok, line: &str) -> Vec<String> {
    let Ok(mut args) = split_words(line) else {
        return Vec::new();
    };
    if line.ends_with(' ') || args.is_empty() {
        args.push(String::new());
    }
    let ctx = Ctx::new(s.root.clone(), args.clone());
    let mut words: Vec<String> = Vec::new();
    for w in grammar.complete(s, &ctx) {
        if !words.contains(&w) {
            words.push(w);
        }
    }
    let single = words.len() == 1;
    words
        .into_iter()
        .map(|w| {
            let mut completed = args.clone();
            completed.pop();
            completed.push(w);
            let mut text = completed.join(" ");
            if single {
                text.push(' ');
            }
            text
        })
        .collect()
}

struct LineCompleter<'a> {
    session: &'a Session,
    grammar: &'a Tok,
}

impl Completer for LineCompleter<'_> {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let candidates = complete_line(self.session, self.grammar, before)
            .into_iter()
            .map(|replacement| Pair {
                // The list shows the completed word; the line gets the whole replacement.
                display: split_words(&replacement)
                    .ok()
                    .and_then(|w| w.last().cloned())
                    .unwrap_or_else(|| replacement.clone()),
                replacement,
            })
            .collect();
        Ok((0, candidates))
    }
}

impl Hinter for LineCompleter<'_> {
    type Hint = String;
}
impl Highlighter for LineCompleter<'_> {}
impl Validator for LineCompleter<'_> {}
impl Helper for LineCompleter<'_> {}

/// `~/.midonet-cli-history`, when there is a home.
pub fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".midonet-cli-history"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::commands::grammar;
    use crate::cli::fake::{uuid, Fake};
    use crate::cli::session::Output;

    fn session(aliases: bool) -> (Session, std::rc::Rc<std::cell::RefCell<Vec<u8>>>) {
        let fake = Fake::new();
        let r = fake.router(1, "r1");
        fake.port(11, &r, Some("10.0.0.1"), "");
        fake.port(12, &r, Some("10.0.1.1"), "");
        fake.session(aliases, Output::Text)
    }

    #[test]
    fn verbs_collections_fields_and_aliases_complete() {
        let (s, _) = session(true);
        let g = grammar();
        assert_eq!(complete_line(&s, &g, "li"), ["list "]);
        assert_eq!(complete_line(&s, &g, "list ro"), ["list router "]);
        assert_eq!(complete_line(&s, &g, "list tu"), ["list tunnel-zone "]);
        // Aliases complete once objects have been seen.
        assert_eq!(complete_line(&s, &g, "router router"), Vec::<String>::new());
        run_line(&s, &g, "list router");
        run_line(&s, &g, "router router0 list port");
        // MidoNet also offers the router's member names there (`route`), as a filter would.
        assert_eq!(
            complete_line(&s, &g, "router rou"),
            ["router router0", "router route"]
        );
        // Aliases of the router's ports, then the port fields a filter may name.
        let ports = complete_line(&s, &g, "router router0 port p");
        assert_eq!(
            ports[..3],
            [
                "router router0 port port0",
                "router router0 port port1",
                "router router0 port plugged"
            ]
        );
        let fields = complete_line(&s, &g, "router router0 set na");
        assert_eq!(fields, ["router router0 set name "]);
        // The values of an enumerated field (after MidoNet's list of member names, which its
        // filter completion offers there too).
        let types = complete_line(&s, &g, "create tunnel-zone type v");
        assert_eq!(
            types[types.len() - 2..],
            [
                "create tunnel-zone type vxlan",
                "create tunnel-zone type vtep"
            ]
        );
    }

    #[test]
    fn a_piped_session_prints_prompts_and_uuids_and_ends_on_eof() {
        let (s, out) = session(false);
        let g = grammar();
        let input = format!("list router\nrouter {} port list\nbogus\n", uuid(1));
        let ok = piped(&s, &g, input.as_bytes());
        assert!(!ok, "the last command failed");
        let text = String::from_utf8_lossy(&out.borrow()).into_owned();
        assert_eq!(
            text,
            format!(
                "midonet> router {r} name r1 state up asn 0\n\
                 midonet> port {p0} device {r} state up plugged no mac 02:00:00:00:00:11 address 10.0.0.1 net 10.0.0.1/24\n\
                 port {p1} device {r} state up plugged no mac 02:00:00:00:00:12 address 10.0.1.1 net 10.0.1.1/24\n\
                 midonet> Syntax error at: ...bogus\n\
                 midonet> \n",
                r = uuid(1),
                p0 = uuid(11),
                p1 = uuid(12)
            )
        );
        let (s, _) = session(false);
        assert!(
            piped(&s, &g, "list router\nquit\nbogus\n".as_bytes()),
            "quit ends it first"
        );
    }
}
