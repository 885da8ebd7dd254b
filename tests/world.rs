//! The test harness itself: a world is built, carries traffic, and leaves nothing behind.
mod common;
use common::*;

#[test]
fn world_carries_traffic_and_cleans_up() {
    let (ns, peer, peer_if);
    {
        let w = World::new();
        w.ping(2);
        let inode = |p: String| sh(&format!("stat -L -c %i {p}"));
        assert_eq!(
            inode(format!("/proc/{}/ns/net", w.target_pid)),
            inode(w.ns.path())
        );
        ns = w.ns.name.clone();
        peer = w.peer.name.clone();
        peer_if = w.peer_if.clone();
    }
    let list = sh("ip netns list");
    assert!(!list.contains(&ns) && !list.contains(&peer), "{list}");
    assert!(!sh("ip -o link").contains(&peer_if));
}
