//! What a long live capture does besides moving packets: the counters so far (for SIGUSR1, the
//! live counter and rotated files' statistics), the status line on a terminal, and `-a
//! duration`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::capture::Stats;
use crate::cli::Config;
use crate::packet::Counters;
use crate::sink::{BoxSink, FileStatus};

/// How often the status line may be redrawn.
const DRAW_EVERY: Duration = Duration::from_millis(250);
/// How often the session looks at the clock when something depends on it.
pub const TICK: Duration = Duration::from_millis(100);

pub struct Progress {
    /// libpcap's counters per interface, as last reported by the sources.
    stats: Vec<Option<Stats>>,
    line: bool,
    drawn: Option<Instant>,
    /// The status line is on the screen.
    shown: bool,
    stop_at: Option<Instant>,
    clocked: bool,
    /// When the capture began, for the elapsed time on the status line.
    began: Instant,
    /// The packets written at the start of the rate's window, and when.
    window: (Instant, u64),
    /// Packets a second over the last full window (of at least [`RATE_OVER`]).
    rate: Option<f64>,
}

/// The window the status line's rate is measured over.
const RATE_OVER: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(cfg: &Config, interfaces: usize) -> Progress {
        let to_file = cfg
            .output
            .write
            .as_deref()
            .is_some_and(|w| w != std::path::Path::new("-"));
        // Summaries on the same terminal would be torn apart by a line redrawn under them.
        let prints_here = cfg.output.print && std::io::stdout().is_terminal();
        let line =
            to_file && !cfg.print_opts.quick && !prints_here && std::io::stderr().is_terminal();
        Progress {
            stats: vec![None; interfaces],
            line,
            drawn: None,
            shown: false,
            stop_at: cfg.stop_after.map(|d| Instant::now() + d),
            clocked: cfg.output.rotation.file_secs.is_some(),
            began: Instant::now(),
            window: (Instant::now(), 0),
            rate: None,
        }
    }

    /// Whether anything waits on the clock: the session ticks only then.
    pub fn needs_tick(&self) -> bool {
        self.line || self.stop_at.is_some() || self.clocked
    }

    pub fn stats(&mut self, iface: usize, stats: Stats) {
        // Interfaces join a --follow capture as it goes.
        if iface >= self.stats.len() {
            self.stats.resize(iface + 1, None);
        }
        self.stats[iface] = Some(stats);
    }

    /// The last counters a source reported for `iface`, if it reported any.
    pub fn last(&self, iface: usize) -> Option<Stats> {
        self.stats.get(iface).copied().flatten()
    }

    /// Counters so far, given what the session has written per interface.
    pub fn counters(&self, captured: &[u64]) -> Vec<Counters> {
        captured
            .iter()
            .zip(self.stats.iter().chain(std::iter::repeat(&None)))
            .map(|(&captured, st)| Counters {
                captured,
                kernel: st.map(Into::into),
            })
            .collect()
    }

    /// Passes the counters so far to the sinks (rotated files record them).
    pub fn tell(&self, sinks: &mut [BoxSink], captured: &[u64]) {
        let c = self.counters(captured);
        for s in sinks.iter_mut() {
            s.progress(&c);
        }
    }

    /// `-a duration` has run out.
    pub fn stop_due(&self) -> bool {
        self.stop_at.is_some_and(|t| Instant::now() >= t)
    }

    /// Redraws the status line, at most [`DRAW_EVERY`].
    pub fn draw(&mut self, sinks: &[BoxSink]) {
        if !self.line || self.drawn.is_some_and(|t| t.elapsed() < DRAW_EVERY) {
            return;
        }
        let Some(st) = sinks.iter().find_map(|s| s.status()) else {
            return;
        };
        self.drawn = Some(Instant::now());
        // Drops are shown once some counter was read; never a 0 that was not.
        let dropped: Option<u64> = self
            .stats
            .iter()
            .flatten()
            .map(|s| u64::from(s.dropped) + u64::from(s.if_dropped))
            .reduce(|a, b| a + b);
        let now = Instant::now();
        let (since, from) = self.window;
        let span = now.duration_since(since);
        if span >= RATE_OVER {
            self.rate = Some(st.packets.saturating_sub(from) as f64 / span.as_secs_f64());
            self.window = (now, st.packets);
        }
        let elapsed = now.duration_since(self.began);
        let text = format!(
            "{}, {}",
            clock(elapsed),
            status_line(&st, dropped, self.rate)
        );
        let mut err = std::io::stderr().lock();
        // Erase to the end of the line: the last text may have been longer.
        let _ = write!(err, "\r{text}\x1b[K");
        let _ = err.flush();
        self.shown = true;
    }

    /// Takes the status line off the screen, before anything else is printed on stderr.
    pub fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.shown = false;
            self.drawn = None;
        }
    }
}

/// `12 packets written (3/s), 7 dropped, 3.5 MiB, FILE`; the rate once a window has passed.
fn status_line(st: &FileStatus, dropped: Option<u64>, rate: Option<f64>) -> String {
    let plural = if st.packets == 1 { "" } else { "s" };
    let dropped = dropped.map_or(String::new(), |d| format!("{d} dropped, "));
    let rate = rate.map_or(String::new(), |r| format!(" ({r:.0}/s)"));
    format!(
        "{} packet{plural} written{rate}, {dropped}{}, {}",
        st.packets,
        human_bytes(st.bytes),
        st.file.display()
    )
}

/// Elapsed time as `M:SS`, or `H:MM:SS` from an hour on.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Bytes in the units `ls -h` would use, one decimal.
fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_words() {
        let st = FileStatus {
            packets: 1,
            refused: None,
            bytes: 3 * 1024 * 1024 + 512 * 1024,
            file: "cap1".into(),
            files: 1,
        };
        assert_eq!(
            status_line(&st, Some(7), None),
            "1 packet written, 7 dropped, 3.5 MiB, cap1"
        );
        assert_eq!(
            status_line(&st, None, Some(1234.4)),
            "1 packet written (1234/s), 3.5 MiB, cap1"
        );
        assert_eq!(clock(Duration::from_secs(83)), "1:23");
        assert_eq!(clock(Duration::from_secs(3 * 3600 + 62)), "3:01:02");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }
}
