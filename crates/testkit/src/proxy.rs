//! A loopback TCP proxy a test puts between one process and a server, and
//! cuts (every connection closed, new ones refused) and restores: a network
//! partition of that one process, without `tc` or firewall rules.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

pub struct TcpProxy {
    addr: SocketAddr,
    target: Arc<Mutex<Option<SocketAddr>>>,
    open: Arc<AtomicBool>,
    /// Bumped by every cut: connections of an older generation close.
    generation: watch::Sender<u64>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a port of its own (port 0); forwards nothing until
    /// [`forward_to`](Self::forward_to) names the server.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let target = Arc::new(Mutex::new(None));
        let open = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let accepting = tokio::spawn(accept(listener, target.clone(), open.clone(), generation.clone()));
        Ok(Self { addr, target, open, generation, accepting })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn forward_to(&self, server: SocketAddr) {
        *self.target.lock().expect("target") = Some(server);
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

async fn accept(
    listener: TcpListener,
    target: Arc<Mutex<Option<SocketAddr>>>,
    open: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
) {
    while let Ok((mut client, _)) = listener.accept().await {
        let server = *target.lock().expect("target");
        // While cut, a connection is accepted and closed at once: the client
        // sees it reset, as across a partition that drops its packets and
        // its retries give up.
        let (Some(server), true) = (server, open.load(Ordering::SeqCst)) else { continue };
        let mut cut = generation.subscribe();
        tokio::spawn(async move {
            let Ok(mut upstream) = TcpStream::connect(server).await else { return };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                _ = cut.changed() => {}
            }
        });
    }
}
