//! Completion that knows the host: the shell asks nscap itself (clap_complete's `COMPLETE=SHELL
//! nscap` protocol), so `-t` completes the containers, pods and ip-netns names there are now,
//! and `-i` the interfaces of the target already typed.

use std::ffi::{OsStr, OsString};

use clap_complete::CompletionCandidate;

use crate::targets::{Host, Roots};

/// When a shell asks for completions (`COMPLETE` is set), answers and exits; otherwise returns.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(super::docs::full_command).complete();
}

fn candidate(value: String, help: &str) -> CompletionCandidate {
    CompletionCandidate::new(value).help(Some(help.to_string().into()))
}

/// `-t`: container names, pods as `pod:NAMESPACE/NAME`, ip-netns names, the containers' init
/// PIDs, and the explicit kinds' prefixes; those starting with what is typed.
pub fn targets(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let host = Host::load(&Roots::from_env());
    let mut out = Vec::new();
    for c in &host.containers {
        if let Some(n) = &c.name {
            out.push(candidate(
                n.clone(),
                &format!("{} container", c.runtime.name()),
            ));
            out.push(candidate(format!("container:{n}"), c.runtime.name()));
        }
        if let Some(pid) = c.init {
            let label = c.name.as_deref().unwrap_or(c.short_id());
            out.push(candidate(pid.to_string(), &format!("pid of {label}")));
        }
    }
    for p in &host.pods {
        out.push(candidate(format!("pod:{}/{}", p.namespace, p.name), "pod"));
    }
    for (n, _) in &host.netns_names {
        out.push(candidate(n.clone(), "ip netns"));
        out.push(candidate(format!("netns:{n}"), "ip netns"));
    }
    for (prefix, help) in [
        ("pid:", "a process"),
        ("container:", "a container name or ID prefix"),
        ("pod:", "a pod, NAMESPACE/NAME"),
        ("netns:", "an ip netns name"),
    ] {
        out.push(candidate(prefix.to_string(), help));
    }
    out.retain(|c| c.get_value().to_string_lossy().starts_with(typed.as_ref()));
    out
}

/// The `-t` value on a command line being completed, if one was typed.
fn target_typed(args: &[OsString]) -> Option<String> {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if w == "-t" || w == "--target" {
            found = words.get(i + 1).cloned();
        } else if let Some(v) = w.strip_prefix("--target=") {
            found = Some(v.to_string());
        }
    }
    found.filter(|t| !t.is_empty())
}

/// `-i`: the interfaces of the target typed with `-t` (the host's without one), and `any`.
pub fn interfaces(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let args: Vec<OsString> = std::env::args_os().collect();
    let listed = match target_typed(&args) {
        Some(t) => crate::targets::TargetSpec::parse(&t)
            .and_then(|spec| crate::targets::resolve(&spec))
            .and_then(|t| {
                crate::netns::Workers::one()?.call(Some(t.netns), t.label, crate::iface::list)
            }),
        None => crate::iface::list(),
    };
    let mut out: Vec<CompletionCandidate> = listed
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let state = if i.up() { "up" } else { "down" };
            candidate(i.name.clone(), &format!("{}. {state}", i.index))
        })
        .collect();
    out.push(candidate("any".into(), "every interface"));
    out.retain(|c| c.get_value().to_string_lossy().starts_with(typed.as_ref()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_found_among_the_words() {
        let w = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            target_typed(&w(&["nscap", "--", "nscap", "-t", "web", "-i", "e"])),
            Some("web".into())
        );
        assert_eq!(
            target_typed(&w(&["nscap", "--target=pod:a/b", "-i"])),
            Some("pod:a/b".into())
        );
        assert_eq!(target_typed(&w(&["nscap", "-i", "e"])), None);
    }
}
