//! Real ClickHouse servers for tests and benchmarks: Debian's
//! `clickhouse-server` started as a child process with a config in a temp
//! dir, on free loopback ports, no systemd.
//!
//! Without the binary, [`ClickHouse::start`] prints why and returns `None`
//! so that a developer without ClickHouse can still run the rest; with
//! `FOVEA_REQUIRE_CLICKHOUSE=1` (CI sets it) a missing binary is a failure.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const CONFIG: &str = include_str!("clickhouse.xml");

/// Where the server binary is: `FOVEA_CLICKHOUSE_SERVER`, else Debian's.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("FOVEA_CLICKHOUSE_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/clickhouse-server"));
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A running server; killed when dropped.
pub struct ClickHouse {
    pub http_port: u16,
    pub tcp_port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl ClickHouse {
    /// Starts one server, or says why not and returns `None`.
    pub fn start() -> Option<ClickHouse> {
        Self::start_in_cluster(&[])
    }

    /// One server for the whole test binary (tests share it through
    /// databases of their own, see [`unique_database`]): starting one per
    /// test costs seconds each on two cores.
    pub fn shared() -> Option<&'static ClickHouse> {
        static SHARED: OnceLock<Option<ClickHouse>> = OnceLock::new();
        SHARED.get_or_init(ClickHouse::start).as_ref()
    }

    /// A two-shard cluster for the whole test binary, like [`Self::shared`].
    pub fn shared_cluster() -> Option<&'static [ClickHouse]> {
        static SHARED: OnceLock<Option<Vec<ClickHouse>>> = OnceLock::new();
        SHARED.get_or_init(|| ClickHouse::cluster(2)).as_deref()
    }

    /// Starts `n` servers that know each other as the two-or-more-shard
    /// cluster `fovea` (one shard each, no ZooKeeper).
    pub fn cluster(n: usize) -> Option<Vec<ClickHouse>> {
        let tcp: Vec<u16> = (0..n).map(|_| free_port()).collect();
        tcp.iter().map(|&port| Self::start_on(port, &tcp)).collect()
    }

    fn start_in_cluster(shards: &[u16]) -> Option<ClickHouse> {
        Self::start_on(free_port(), shards)
    }

    fn start_on(tcp_port: u16, shards: &[u16]) -> Option<ClickHouse> {
        if binary().is_none() {
            let msg = "clickhouse-server not found (apt-get install clickhouse-server, or set FOVEA_CLICKHOUSE_SERVER)";
            if std::env::var("FOVEA_REQUIRE_CLICKHOUSE").as_deref() == Ok("1") {
                panic!("{msg}");
            }
            eprintln!("skipping the ClickHouse tests: {msg}");
            return None;
        }
        let mut server = ClickHouse {
            http_port: free_port(),
            tcp_port,
            dir: tempfile::tempdir().expect("a temp dir"),
            child: None,
        };
        let remote = if shards.is_empty() {
            String::new()
        } else {
            let replicas: String = shards
                .iter()
                .map(|p| {
                    format!(
                        "<shard><replica><host>127.0.0.1</host><port>{p}</port></replica></shard>"
                    )
                })
                .collect();
            format!("<fovea>{replicas}</fovea>")
        };
        let config = CONFIG
            .replace("{dir}", &server.dir.path().display().to_string())
            .replace("{http_port}", &server.http_port.to_string())
            .replace("{tcp_port}", &tcp_port.to_string())
            .replace("{remote_servers}", &remote);
        std::fs::write(server.dir.path().join("config.xml"), config).expect("write the config");
        server.run();
        Some(server)
    }

    /// The HTTP endpoint, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Runs one statement over HTTP; its answer's body, or the server's
    /// error text as `Err`.
    pub fn query(&self, sql: &str) -> Result<String, String> {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect(("127.0.0.1", self.http_port)).map_err(|e| e.to_string())?;
        write!(
            s,
            "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{sql}",
            sql.len()
        )
        .map_err(|e| e.to_string())?;
        let mut out = String::new();
        s.read_to_string(&mut out).map_err(|e| e.to_string())?;
        let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") {
            Ok(body.to_string())
        } else {
            Err(body.to_string())
        }
    }

    /// Starts the process (again, after [`ClickHouse::stop`]) on the same
    /// data and ports, and waits until it answers.
    pub fn run(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("server.log")).expect("a log file");
        let mut cmd = Command::new(binary().expect("checked at start"));
        cmd.arg(format!(
            "--config-file={}",
            self.dir.path().join("config.xml").display()
        ))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
        self.child = Some(spawn(cmd));
        let deadline = Instant::now() + Duration::from_secs(180);
        while TcpStream::connect(("127.0.0.1", self.http_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "clickhouse-server did not start; see {}",
                self.dir.path().join("server.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the process, keeping its data for [`ClickHouse::run`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A database name no other test uses, for tests sharing a server.
pub fn unique_database(prefix: &str) -> String {
    static NEXT: Mutex<u32> = Mutex::new(0);
    let mut n = NEXT.lock().expect("counter");
    *n += 1;
    format!("{prefix}_{}_{}", std::process::id(), *n)
}

/// Spawns a command from one long-lived thread, so that the kernel's
/// parent-death signal (set in the child) fires when the test process
/// exits, not when the test thread that asked for the server ends.
fn spawn(cmd: Command) -> Child {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                #[cfg(target_os = "linux")]
                // SAFETY: prctl in the forked child before exec only sets a
                // flag: the server dies with the test process, even if it
                // panics or is killed.
                unsafe {
                    use std::os::unix::process::CommandExt;
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    });
    let (reply, answer) = mpsc::channel();
    keeper
        .lock()
        .expect("keeper")
        .send((cmd, reply))
        .expect("the keeper thread runs");
    answer
        .recv()
        .expect("the keeper answers")
        .expect("start clickhouse-server")
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        self.stop();
    }
}
