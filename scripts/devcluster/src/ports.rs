//! Loopback ports for a control plane's servers, picked where no other process is
//! handed them.

use std::net::TcpListener;

use anyhow::{Context, Result};

/// Ports free right now on 127.0.0.1 (held together while picking so they differ), below
/// the kernel's ephemeral range: no outgoing connection takes one as its own port, so
/// kube-apiserver finds its port free again when it is restarted (with a port the kernel
/// hands out, a connection made while the server was down could hold it, and the new
/// server could not listen). Ports the kernel hands out where that range leaves too few.
pub fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let range = FIRST_PICKED_PORT..ephemeral_from;
    let listeners: Vec<TcpListener> = if range.len() >= 1000 {
        let mut start = [0u8; 2];
        getrandom::fill(&mut start).context("picking ports")?;
        let span = range.end - range.start;
        let offset = u16::from_le_bytes(start) % span;
        (0..span)
            .map(|i| range.start + (offset + i) % span)
            .filter_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
            .take(N)
            .collect()
    } else {
        (0..N)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<_>>()
            .context("finding free loopback ports")?
    };
    let mut ports = [0u16; N];
    anyhow::ensure!(listeners.len() == N, "no {N} free loopback ports");
    for (port, l) in ports.iter_mut().zip(&listeners) {
        *port = l.local_addr()?.port();
    }
    Ok(ports)
}

/// The lowest port `free_ports` picks (above the usual services').
const FIRST_PICKED_PORT: u16 = 20000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_differ_are_free_and_sit_below_the_ephemeral_range() {
        let ports = free_ports::<3>().unwrap();
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
}
