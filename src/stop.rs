//! Stopping when told, whatever the output is doing.
//!
//! SIGINT, SIGTERM, SIGHUP and SIGQUIT all end a capture the same way (tcpdump treats SIGHUP so;
//! closing a terminal or losing an ssh session is the commonest end of a capture). The handler
//! is installed without `SA_RESTART`, records the signal and wakes the session through a pipe.
//! A write blocked on a full pipe or FIFO would otherwise keep the session from ever seeing the
//! signal, so the handler also switches the output to non-blocking (`fcntl` is
//! async-signal-safe): the blocked `write` returns, and every later write may wait only until a
//! deadline, after which [`StopWriter`] gives up and the session prints its statistics.
//! `nohup` is honoured: a SIGHUP that was ignored when nscap started stays ignored.
//!
//! A stop signal that comes again within [`REPEAT_WINDOW`] of the first is the same request:
//! `timeout(1)` sends SIGINT to nscap and then to its whole process group, and systemd, Docker
//! and Kubernetes repeat SIGTERM. One that comes later is a person insisting: nscap then dies
//! of it at once, as it would have without a handler, but never in the middle of writing out
//! records ([`Writing`]): the file still ends on a whole record.
//! SIGUSR1 asks for the statistics so far (as tcpdump's does) and the capture goes on: the
//! handler only records it and wakes the session.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};

/// The signals that end a capture.
pub const SIGNALS: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// The signal that asks for the statistics so far.
pub const STATS_SIGNAL: Signal = Signal::SIGUSR1;

/// How long output may still block once a stop was asked for.
pub const OUTPUT_GRACE: Duration = Duration::from_millis(700);

/// The grace in force, in milliseconds: [`OUTPUT_GRACE`], unless [`set_output_grace`] said.
static GRACE_MS: AtomicU64 = AtomicU64::new(700);

/// A longer grace for an output that is still read after the stop: a remote stream, whose
/// reader (the -H end) asked for the stop and reads to the end, through a network that may be
/// slower than the capture.
pub fn set_output_grace(grace: Duration) {
    GRACE_MS.store(grace.as_millis() as u64, Ordering::SeqCst);
}

/// The signal that asked for a stop, 0 before one arrives.
static STOP: AtomicI32 = AtomicI32::new(0);
/// A stop signal repeated within this long of the first is the same request.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(2);

/// When the first stop signal came (CLOCK_MONOTONIC, nanoseconds), 0 before one did.
static FIRST_AT: AtomicU64 = AtomicU64::new(0);
/// Records being written out right now ([`Writing`] guards): a fatal signal waits for them.
static WRITING: AtomicU32 = AtomicU32::new(0);
/// A signal that is to end nscap once the records being written are out, 0 for none.
static DEFERRED: AtomicI32 = AtomicI32::new(0);
/// A signal is ending nscap: records not yet begun are not begun (see [`Writing::begin`]).
static DYING: AtomicBool = AtomicBool::new(false);
/// A SIGUSR1 not yet answered.
static STATS: AtomicBool = AtomicBool::new(false);
/// A person insisting (a stop signal again, later than the same request would come) hurries
/// the stop rather than ending the process: set where the stop has work that must still run
/// (kubectl nscap's debug pods).
static INSIST_HURRIES: AtomicBool = AtomicBool::new(false);
static HURRIED: AtomicBool = AtomicBool::new(false);
/// Write end of the wake-up pipe, -1 when none is installed.
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// Pipes and FIFOs the session writes to, switched to non-blocking by the handler; -1 for none.
/// Two are enough (`-w` and the summaries on standard output); more are merely not switched.
#[allow(clippy::declare_interior_mutable_const)]
const NONE: AtomicI32 = AtomicI32::new(-1);
static OUTPUTS: [AtomicI32; 4] = [NONE; 4];
/// The thread other than the session's that writes the outputs (the capture thread, when it
/// writes packets straight from the ring), 0 for none: the stop signals are blocked there, so
/// the handler interrupts its write with [`INTERRUPT`].
static WRITER: AtomicU64 = AtomicU64::new(0);
/// Sent to [`WRITER`] to end a blocked write with EINTR; ignored where nothing handles it.
const INTERRUPT: Signal = Signal::SIGURG;

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe calls here: atomics, write, fcntl. The interrupted code may be
    // about to read errno, which our own calls can set: keep it.
    // SAFETY: the calling thread's errno location.
    let saved = unsafe { *libc::__errno_location() };
    if sig == STATS_SIGNAL as libc::c_int {
        STATS.store(true, Ordering::SeqCst);
        wake();
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = saved };
        return;
    }
    let now = monotonic_ns().max(1);
    if FIRST_AT
        .compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // Stopping already: the same request again, or a person insisting.
        let first = FIRST_AT.load(Ordering::SeqCst);
        if now.saturating_sub(first) >= REPEAT_WINDOW.as_nanos() as u64 {
            // Hurried already: a third request ends the process after all.
            if INSIST_HURRIES.load(Ordering::SeqCst) && !HURRIED.swap(true, Ordering::SeqCst) {
                wake();
            } else {
                // Said before looking at the writers: one that begins after the look sees it
                // and writes nothing (another thread may write: the capture thread).
                DYING.store(true, Ordering::SeqCst);
                if WRITING.load(Ordering::SeqCst) > 0 {
                    DEFERRED.store(sig, Ordering::SeqCst);
                    // The writing may have ended between the look and the store, its guard
                    // finding nothing deferred: then nobody else will act on it.
                    if WRITING.load(Ordering::SeqCst) == 0
                        && DEFERRED.swap(0, Ordering::SeqCst) != 0
                    {
                        die(sig);
                    }
                } else {
                    die(sig);
                }
            }
        }
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = saved };
        return;
    }
    STOP.store(sig, Ordering::SeqCst);
    for slot in &OUTPUTS {
        let out = slot.load(Ordering::SeqCst);
        if out >= 0 {
            // SAFETY: fcntl on a descriptor number; a closed or reused one at worst fails or
            // gains O_NONBLOCK, which the session's own writes handle.
            unsafe {
                let flags = libc::fcntl(out, libc::F_GETFL);
                if flags >= 0 {
                    libc::fcntl(out, libc::F_SETFL, flags | libc::O_NONBLOCK);
                }
            }
        }
    }
    // After the outputs are non-blocking: a write that starts later cannot block, and one that
    // is blocked now returns.
    let writer = WRITER.load(Ordering::SeqCst);
    if writer != 0 {
        // SAFETY: pthread_kill is async-signal-safe; the thread clears WRITER before it ends,
        // and it is joined by this (the session's) thread, which cannot be joining it while
        // it runs this handler, so the id is one of a thread not yet joined.
        unsafe { libc::pthread_kill(writer as libc::pthread_t, INTERRUPT as libc::c_int) };
    }
    wake();
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// A thread other than the session's that may write the outputs, while it lives: a stop
/// signal interrupts a write of its that is blocked on a full pipe (see [`writes_here`]).
pub struct WritesHere(u64);

/// Makes the calling thread the one whose blocked writes a stop signal interrupts: it then
/// waits for the reader only until the grace deadline, as the session's own writes do.
pub fn writes_here() -> WritesHere {
    extern "C" fn nothing(_: libc::c_int) {}
    // Without SA_RESTART: the interrupted write returns EINTR rather than going on.
    let action = SigAction::new(
        SigHandler::Handler(nothing),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler does nothing.
    let installed = unsafe { signal::sigaction(INTERRUPT, &action) }.is_ok();
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() } as u64;
    if installed {
        WRITER.store(me, Ordering::SeqCst);
    }
    WritesHere(me)
}

impl Drop for WritesHere {
    fn drop(&mut self) {
        let _ = WRITER.compare_exchange(self.0, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// CLOCK_MONOTONIC in nanoseconds; async-signal-safe.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into `ts`, on this stack frame; it is async-signal-safe.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Ends the process by `sig` with its default action; async-signal-safe.
fn die(sig: libc::c_int) {
    // SAFETY: signal(2), kill(2) and getpid(2) are async-signal-safe; the default action of a
    // stop signal ends the process, as if nscap had no handler. Sent to the process, not
    // raised in this thread: the last guard may drop on the capture thread, which blocks the
    // stop signals, and the signal would wait there for ever.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::kill(libc::getpid(), sig);
    }
}

/// Held while whole records are written out: a signal that is to end nscap at once waits
/// until the guard is dropped, so an output never ends in the middle of a record.
pub struct Writing(());

impl Writing {
    pub fn begin() -> Writing {
        WRITING.fetch_add(1, Ordering::SeqCst);
        if DYING.load(Ordering::SeqCst) {
            // A signal is ending the process: begin nothing that it could cut. Dropping the
            // guard ends the process if the signal waited for it; else the signal is on its
            // way, and this thread waits for it.
            drop(Writing(()));
            loop {
                std::thread::park();
            }
        }
        Writing(())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        if WRITING.fetch_sub(1, Ordering::SeqCst) == 1 {
            let sig = DEFERRED.swap(0, Ordering::SeqCst);
            if sig != 0 {
                die(sig);
            }
        }
    }
}

/// Wakes the session; async-signal-safe.
fn wake() {
    let wake = WAKE.load(Ordering::SeqCst);
    if wake >= 0 {
        let b = 1u8;
        // SAFETY: one byte from a live stack variable; the pipe is non-blocking, so a full pipe
        // (a wake-up already pending) just drops it.
        unsafe { libc::write(wake, (&b as *const u8).cast(), 1) };
    }
}

/// The installed handlers; `fd` becomes readable when a stop signal has arrived.
pub struct Signals {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Signals {
    /// Installs the handlers. Call once, before the capture threads exist; they block these
    /// signals (see [`block_in_this_thread`]) so that the session's thread takes them.
    pub fn install() -> io::Result<Signals> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        WAKE.store(write.as_raw_fd(), Ordering::SeqCst);
        // The stop signals block each other while one is handled, so that the handler never
        // runs inside itself. SIGUSR1 may come any number of times.
        let mut mask = SigSet::empty();
        for sig in SIGNALS {
            mask.add(sig);
        }
        let stop = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), mask);
        let stats = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for sig in SIGNALS.into_iter().chain([STATS_SIGNAL]) {
            let action = if sig == STATS_SIGNAL { &stats } else { &stop };
            // SAFETY: the handler only touches atomics and makes async-signal-safe calls.
            let old = unsafe { signal::sigaction(sig, action) }?;
            if sig == Signal::SIGHUP && matches!(old.handler(), SigHandler::SigIgn) {
                // SAFETY: restoring the disposition we found.
                unsafe { signal::sigaction(sig, &old) }?;
            }
        }
        Ok(Signals {
            read,
            _write: write,
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Empties the wake-up pipe and returns the signal that asked for a stop, if one did.
    pub fn take(&self) -> Option<Signal> {
        let mut buf = [0u8; 16];
        while matches!(nix::unistd::read(&self.read, &mut buf), Ok(n) if n > 0) {}
        requested()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        WAKE.store(-1, Ordering::SeqCst);
    }
}

/// From now on a person insisting hurries the stop (see [`hurried`]) instead of ending the
/// process at once; insisting again after that ends it.
pub fn insisting_hurries() {
    INSIST_HURRIES.store(true, Ordering::SeqCst);
}

/// Whether the stop was asked again, later, by a person: what is waited for is given up.
pub fn hurried() -> bool {
    HURRIED.load(Ordering::SeqCst)
}

/// Whether the handlers are installed: a stop signal then stops the capture cleanly.
pub fn installed() -> bool {
    WAKE.load(Ordering::SeqCst) >= 0
}

/// The signal that asked for a stop, once one has.
pub fn requested() -> Option<Signal> {
    match STOP.load(Ordering::SeqCst) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// Whether SIGUSR1 arrived since the last call: the statistics so far are wanted.
pub fn stats_requested() -> bool {
    STATS.swap(false, Ordering::SeqCst)
}

/// Blocks the stop signals in the calling thread, so that they go to the session's thread.
pub fn block_in_this_thread() {
    let mut set = SigSet::empty();
    for sig in SIGNALS.into_iter().chain([STATS_SIGNAL]) {
        set.add(sig);
    }
    let _ = set.thread_block();
}

/// Writes the last words of a capture (a note, the statistics) to standard error. After a stop
/// signal they go through a [`StopWriter`], so a standard error that nobody reads (`2>&1 | sleep`)
/// costs at most the grace period; what cannot be written is dropped.
pub fn eprint_last(text: &str) {
    if requested().is_none() {
        eprint!("{text}");
        return;
    }
    if let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() {
        let _ = StopWriter::new(File::from(fd)).write_all(text.as_bytes());
    }
}

/// An output file that gives up, rather than blocking for ever, once a stop was asked for.
///
/// Regular files never block for long and are written as they are. A pipe, FIFO or socket is
/// registered with the signal handler, which makes it non-blocking when a stop signal arrives;
/// from then on a write waits for room until [`OUTPUT_GRACE`] after the first such wait, and
/// then fails with `TimedOut`. The original flags are restored when the output is dropped.
/// O_NONBLOCK belongs to the open file description, which a shell may share with other
/// processes (`2>&1`, a subshell): that is why it is set only once nscap is stopping, and
/// undone.
pub struct StopWriter {
    file: File,
    pipe: bool,
    flags: Option<OFlag>,
    deadline: Option<Instant>,
}

impl StopWriter {
    pub fn new(file: File) -> StopWriter {
        let pipe = crate::os::is_pipe(file.as_fd());
        let flags = fcntl(&file, FcntlArg::F_GETFL)
            .ok()
            .map(OFlag::from_bits_truncate);
        if pipe {
            let fd = file.as_raw_fd();
            let _ = OUTPUTS.iter().find(|slot| {
                slot.compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            });
            if requested().is_some() {
                set_nonblocking(&file);
            }
        }
        StopWriter {
            file,
            pipe,
            flags,
            deadline: None,
        }
    }

    /// Waits for room in a non-blocking output, until the grace deadline once stopped.
    fn wait_for_room(&mut self) -> io::Result<()> {
        loop {
            let timeout = if requested().is_some() {
                let deadline = *self.deadline.get_or_insert_with(|| {
                    Instant::now() + Duration::from_millis(GRACE_MS.load(Ordering::SeqCst))
                });
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the reader is not reading",
                    ));
                }
                PollTimeout::try_from(left.as_millis().max(1) as i32).unwrap_or(PollTimeout::MAX)
            } else {
                // Looked at again now and then: a signal that lands between the check above
                // and the poll would otherwise leave it waiting for room for ever.
                PollTimeout::from(100u16)
            };
            let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLOUT)];
            match poll(&mut fds, timeout) {
                Ok(n) if n > 0 => return Ok(()),
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn set_nonblocking(file: &File) {
    if let Ok(flags) = fcntl(file, FcntlArg::F_GETFL) {
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        let _ = fcntl(file, FcntlArg::F_SETFL(flags));
    }
}

impl Write for StopWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.file.write(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    // A stop signal arrived during the write: the descriptor is non-blocking
                    // now, so trying again cannot block past the grace deadline.
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_for_room()?,
                Err(e) => return Err(e),
            }
        }
    }

    /// writev(2), with the same care as [`StopWriter::write`].
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        loop {
            match self.file.write_vectored(bufs) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_for_room()?,
                Err(e) => return Err(e),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for StopWriter {
    fn drop(&mut self) {
        if self.pipe {
            let fd = self.file.as_raw_fd();
            for slot in &OUTPUTS {
                let _ = slot.compare_exchange(fd, -1, Ordering::SeqCst, Ordering::SeqCst);
            }
            if let Some(flags) = self.flags {
                let _ = fcntl(&self.file, FcntlArg::F_SETFL(flags));
            }
        }
    }
}
