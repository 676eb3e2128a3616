//! Loopback ports for a control plane's servers, claimed so that no other devcluster on
//! this machine is handed them while this one lives.

use std::fs::{File, OpenOptions, TryLockError};
use std::net::TcpListener;
use std::path::Path;

use anyhow::{Context, Result};

/// Ports held for one control plane. Each is claimed by an exclusive lock on a file named
/// after it, in a folder every devcluster shares; the lock lasts as long as this value
/// (and ends with the process, however it ends). A port only probed free could be taken
/// between the probe and the server's own listen by another devcluster starting at the
/// same moment, or while this plane's kube-apiserver is stopped between restarts.
pub struct ClaimedPorts<const N: usize> {
    pub ports: [u16; N],
    _locks: Vec<File>,
}

/// Claims `N` ports free right now on 127.0.0.1 and unclaimed by any other devcluster,
/// below the kernel's ephemeral range: no outgoing connection takes one as its own port,
/// so kube-apiserver finds its port free again when it is restarted. Ports the kernel
/// hands out (unclaimed) where that range leaves too few.
pub fn claim<const N: usize>() -> Result<ClaimedPorts<N>> {
    let mut start = [0u8; 2];
    getrandom::fill(&mut start).context("picking ports")?;
    let claims = std::env::temp_dir().join("storectl-devcluster-ports");
    claim_from(&claims, u16::from_le_bytes(start))
}

/// `claim`, looking from `offset` into the range (random, so planes starting at once
/// seldom try the same ports first) with the claim files in `claims`.
fn claim_from<const N: usize>(claims: &Path, offset: u16) -> Result<ClaimedPorts<N>> {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let range = FIRST_PICKED_PORT..ephemeral_from;
    // Each probe listener is held until all N are found, so the N differ.
    let mut held: Vec<(Option<File>, TcpListener)> = Vec::with_capacity(N);
    if range.len() >= 1000 {
        std::fs::create_dir_all(claims)
            .with_context(|| format!("creating {}", claims.display()))?;
        let span = range.end - range.start;
        let offset = offset % span;
        for port in (0..span).map(|i| range.start + (offset + i) % span) {
            if held.len() == N {
                break;
            }
            let Some(lock) = lock(claims, port)? else {
                continue;
            };
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                held.push((Some(lock), listener));
            }
        }
    } else {
        for _ in 0..N {
            let listener =
                TcpListener::bind("127.0.0.1:0").context("finding free loopback ports")?;
            held.push((None, listener));
        }
    }
    anyhow::ensure!(held.len() == N, "no {N} free loopback ports");
    let mut ports = [0u16; N];
    for (port, (_, listener)) in ports.iter_mut().zip(&held) {
        *port = listener.local_addr()?.port();
    }
    let _locks = held.into_iter().filter_map(|(lock, _)| lock).collect();
    Ok(ClaimedPorts { ports, _locks })
}

/// The lock on `port`'s claim file, or None while another devcluster holds it. The files
/// stay (empty) when released: removing one could let two processes lock the same name
/// through different files.
fn lock(claims: &Path, port: u16) -> Result<Option<File>> {
    let path = claims.join(port.to_string());
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// The lowest port `claim` picks (above the usual services').
const FIRST_PICKED_PORT: u16 = 20000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_differ_are_free_and_sit_below_the_ephemeral_range() {
        let claimed = claim::<3>().unwrap();
        let ports = claimed.ports;
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
        for port in ports {
            assert!(port >= FIRST_PICKED_PORT, "{port}");
            TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{port}: {e}"));
        }
        let ephemeral_from: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(ports.iter().all(|&p| p < ephemeral_from), "{ports:?}");
    }

    #[test]
    fn planes_claiming_at_once_never_share_a_port_and_a_held_port_is_not_handed_out() {
        let claims = std::env::temp_dir().join(format!("devcluster-ports-{}", std::process::id()));
        // All start from the same port: the worst case. The first claim is held with
        // nothing listening on its ports (a stopped kube-apiserver).
        let held = claim_from::<3>(&claims, 0).unwrap();
        let planes: Vec<ClaimedPorts<3>> = std::thread::scope(|s| {
            let pickers: Vec<_> = (0..16)
                .map(|_| s.spawn(|| claim_from::<3>(&claims, 0).unwrap()))
                .collect();
            pickers.into_iter().map(|p| p.join().unwrap()).collect()
        });
        let mut all: Vec<u16> = planes.iter().flat_map(|p| p.ports).collect();
        assert!(
            all.iter().all(|p| !held.ports.contains(p)),
            "{all:?} took one of {:?}",
            held.ports
        );
        all.extend(held.ports);
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "a port was handed out twice");
        drop(planes);
        drop(held);
        std::fs::remove_dir_all(&claims).unwrap();
    }
}
