//! Live capture (`-t TARGET...`, `--all`): the targets resolved, then `-D`, `-L`/`-J`, or a
//! [`crate::session`] until something ends it.

use std::io::{self, Write};

use anyhow::{anyhow, Context, Result};

use crate::cli::Config;
use crate::error::os_message;
use crate::iface;
use crate::netns::Workers;
use crate::sink::Format;
use crate::targets::select::{self, Member};

/// Runs capture mode for `-t TARGET...` and `--all`. A capture that ended on a failure has
/// printed its statistics already; the failure comes back as the error, for the caller's one
/// line.
/// With `-- COMMAND`: the command's exit status.
pub fn run(cfg: &Config, targets: &[String]) -> Result<Option<i32>> {
    // Capture-only mode: finding namespaces and opening handles use the file's capabilities,
    // until the session drops them (crate::privs).
    crate::privs::raise()?;
    let (members, sel) = select::resolve(targets, cfg.all, cfg.follow, cfg.remote_stream)?;
    // Several namespaces, or some that are found rather than named: interfaces are then named
    // NAME/IFACE, and the file is pcapng.
    // A remote stream names them so always: the -H end puts the host before the name.
    let many = members.len() > 1 || sel.dynamic() || cfg.follow || cfg.remote_stream;
    if cfg.list_interfaces {
        return list_interfaces(&members, many).map(|()| None);
    }
    if cfg.list_datalinks || cfg.list_tstamp_types {
        let targets: Vec<_> = members.into_iter().map(|m| m.target).collect();
        return super::list_types::run(cfg, &targets).map(|()| None);
    }
    let mut cfg = cfg.clone();
    if many && cfg.output.format.is_none() && cfg.output.write.is_some() {
        cfg.output.format = Some(Format::Pcapng);
    }
    if many {
        // Every handle, netlink socket and namespace is a descriptor: 500 namespaces need
        // more than the usual soft limit of 1024.
        crate::os::raise_nofile();
    }
    if cfg.remote_stream {
        crate::remote::stop_at_end_of_input()?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    rt.block_on(crate::session::run(&cfg, members, sel, many))
}

/// `-D`: the interfaces of every target, under its label when there are several.
fn list_interfaces(members: &[Member], many: bool) -> Result<()> {
    let workers = Workers::one()?;
    let mut text = String::new();
    for m in members {
        let t = &m.target;
        let ifs = workers.call(Some(t.netns.try_clone()?), t.label.clone(), iface::list)?;
        if members.len() > 1 || many {
            text.push_str(&format!("{}:\n", t.label));
        }
        for i in &ifs {
            text.push_str(&i.line());
            text.push('\n');
        }
    }
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(anyhow!(
            "cannot write to standard output: {}",
            os_message(&e)
        )),
        _ => Ok(()),
    }
}
