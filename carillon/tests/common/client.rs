//! A small SIP user agent over raw sockets, for driving the real server in end-to-end tests:
//! requests are written as text, answers parsed with `sip_message`, digest challenges
//! answered with `sip_auth::client_response`. It keeps no transaction state beyond what a
//! test needs, so every byte on the wire is visible in the test that sends it.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_auth::{ClientCredentials, client_response};
use sip_message::framing::{Frame, next_frame};
use sip_message::header::Challenge;
use sip_message::{HeaderName, Message, Request, Response};

/// The domain every test user lives in: the server's own address, so it is served.
pub const DOMAIN: &str = "127.0.0.1";

/// How long a test waits for an answer the server gives at once.
pub const PROMPT: Duration = Duration::from_secs(5);

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// A token unique in this test process (branches, tags, Call-IDs).
pub fn unique() -> String {
    format!(
        "{:x}x{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// One message as it arrived, with the address it came from.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message.
    pub msg: Message,
    /// Its source (the server's address for a connection).
    pub from: SocketAddr,
}

impl Received {
    /// The message as a request; panics if it is a response.
    pub fn request(&self) -> &Request {
        self.msg.as_request().expect("a request")
    }
}

enum Link {
    Udp(UdpSocket),
    Tcp {
        stream: TcpStream,
        buf: Vec<u8>,
        closed: bool,
    },
}

/// A request about to be sent. `Via` is added by [`Ua::send`] from the branch.
#[derive(Debug, Clone)]
pub struct Req {
    /// The method.
    pub method: String,
    /// The Request-URI.
    pub uri: String,
    /// The whole From value, tag included.
    pub from: String,
    /// The whole To value.
    pub to: String,
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// The top Via branch.
    pub branch: String,
    /// Further headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Req {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Req {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Req {
        self.body = body.into();
        self
    }

    /// The same request as a new transaction: fresh branch, next CSeq.
    pub fn next(&self) -> Req {
        let mut r = self.clone();
        r.cseq += 1;
        r.branch = format!("z9hG4bK{}", unique());
        r
    }

    fn text(&self, via: &str) -> String {
        let mut t = format!(
            "{} {} SIP/2.0\r\nVia: {via};branch={};rport\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {}\r\n",
            self.method,
            self.uri,
            self.branch,
            self.from,
            self.to,
            self.call_id,
            self.cseq,
            self.method
        );
        for (n, v) in &self.headers {
            t.push_str(&format!("{n}: {v}\r\n"));
        }
        t.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        t
    }
}

/// A user agent on one socket (UDP) or one connection (TCP) to the server.
pub struct Ua {
    link: Link,
    /// The server's SIP address.
    pub server: SocketAddr,
    /// This agent's address.
    pub local: SocketAddr,
    /// The username (also the digest username).
    pub user: String,
    /// The password.
    pub password: String,
    /// The Contact this agent writes in its 2xx answers to INVITE when not its own address
    /// (a phone behind NAT writes its private address).
    pub advertised: Option<String>,
    inbox: VecDeque<Received>,
    tag: String,
}

impl Ua {
    /// An agent on a fresh UDP socket on 127.0.0.1.
    pub fn udp(server_port: u16, user: &str, password: &str) -> Ua {
        Ua::udp_on("127.0.0.1", server_port, user, password)
    }

    /// An agent on a fresh UDP socket on `ip` (another loopback address stands for a host
    /// of another domain).
    pub fn udp_on(ip: &str, server_port: u16, user: &str, password: &str) -> Ua {
        let sock = UdpSocket::bind((ip, 0)).expect("bind UDP");
        let local = sock.local_addr().expect("local address");
        Ua::with_link(Link::Udp(sock), server_port, local, user, password)
    }

    /// An agent on a new TCP connection to the server.
    pub fn tcp(server_port: u16, user: &str, password: &str) -> Ua {
        let stream = TcpStream::connect(("127.0.0.1", server_port)).expect("connect TCP");
        let local = stream.local_addr().expect("local address");
        let link = Link::Tcp {
            stream,
            buf: Vec::new(),
            closed: false,
        };
        Ua::with_link(link, server_port, local, user, password)
    }

    fn with_link(link: Link, port: u16, local: SocketAddr, user: &str, password: &str) -> Ua {
        Ua {
            link,
            server: SocketAddr::from(([127, 0, 0, 1], port)),
            local,
            user: user.to_owned(),
            password: password.to_owned(),
            advertised: None,
            inbox: VecDeque::new(),
            tag: unique(),
        }
    }

    /// `UDP` or `TCP`.
    pub fn transport(&self) -> &'static str {
        match self.link {
            Link::Udp(_) => "UDP",
            Link::Tcp { .. } => "TCP",
        }
    }

    /// This agent's address of record, `sip:user@127.0.0.1`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{DOMAIN}", self.user)
    }

    /// A Contact URI naming this agent's real address.
    pub fn own_contact(&self) -> String {
        match self.link {
            Link::Udp(_) => format!("sip:{}@{}", self.user, self.local),
            Link::Tcp { .. } => format!("sip:{}@{};transport=tcp", self.user, self.local),
        }
    }

    /// A new out-of-dialog request from this agent's address of record to `to_uri`, sent to
    /// Request-URI `uri`.
    pub fn request(&self, method: &str, uri: &str, to_uri: &str) -> Req {
        Req {
            method: method.to_owned(),
            uri: uri.to_owned(),
            from: format!("<{}>;tag={}", self.aor(), self.tag),
            to: format!("<{to_uri}>"),
            call_id: format!("{}@127.0.0.1", unique()),
            cseq: 1,
            branch: format!("z9hG4bK{}", unique()),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A REGISTER for this agent's address of record (no Contact yet).
    pub fn register_request(&self) -> Req {
        let aor = self.aor();
        let mut r = self.request("REGISTER", &format!("sip:{DOMAIN}"), &aor);
        r.to = format!("<{aor}>");
        r
    }

    /// Sends `req` to the server.
    pub fn send(&mut self, req: &Req) {
        let via = format!("SIP/2.0/{} {}", self.transport(), self.local);
        let text = req.text(&via);
        self.send_raw(text.as_bytes(), self.server);
    }

    /// Sends bytes as they are: over UDP to `to`, over TCP on the connection.
    pub fn send_raw(&mut self, bytes: &[u8], to: SocketAddr) {
        match &mut self.link {
            Link::Udp(s) => {
                s.send_to(bytes, to).expect("UDP send");
            }
            Link::Tcp { stream, .. } => stream.write_all(bytes).expect("TCP write"),
        }
    }

    /// Closes a TCP connection (both directions).
    pub fn close(&mut self) {
        if let Link::Tcp { stream, closed, .. } = &mut self.link {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            *closed = true;
        }
    }

    /// The next message matching `want` within `timeout`; others wait in the inbox for a
    /// later call.
    pub fn wait_for(
        &mut self,
        timeout: Duration,
        want: impl Fn(&Message) -> bool,
    ) -> Option<Received> {
        if let Some(i) = self.inbox.iter().position(|r| want(&r.msg)) {
            return self.inbox.remove(i);
        }
        let end = Instant::now() + timeout;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            let r = self.read(left.max(Duration::from_millis(1)))?;
            if want(&r.msg) {
                return Some(r);
            }
            self.inbox.push_back(r);
        }
    }

    /// The next request with `method` within `timeout`.
    pub fn wait_request(&mut self, method: &str, timeout: Duration) -> Option<Received> {
        self.wait_for(timeout, |m| {
            m.as_request()
                .is_some_and(|r| r.method().as_str() == method)
        })
    }

    /// Like [`Ua::wait_request`], panicking with `what` when nothing comes.
    pub fn expect_request(&mut self, method: &str, timeout: Duration, what: &str) -> Received {
        self.wait_request(method, timeout)
            .unwrap_or_else(|| panic!("no {method} within {timeout:?}: {what}"))
    }

    /// The final response to `req` within `timeout`, dropping its provisional ones.
    pub fn final_response(&mut self, req: &Req, timeout: Duration) -> Option<Response> {
        let end = Instant::now() + timeout;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            let r = self.wait_for(left, |m| answers(m, req))?;
            let Message::Response(resp) = r.msg else {
                continue;
            };
            if resp.status() >= 200 {
                return Some(resp);
            }
        }
    }

    /// Sends `req` and returns its final response; a 401 or 407 is answered once with
    /// digest credentials (a new transaction with the next CSeq; a 407 to an INVITE is
    /// acknowledged first). Returns the request last sent and its final response.
    pub fn send_authenticated(&mut self, req: Req) -> (Req, Response) {
        self.send(&req);
        let resp = self
            .final_response(&req, PROMPT)
            .unwrap_or_else(|| panic!("no final response to {} {}", req.method, req.uri));
        if !matches!(resp.status(), 401 | 407) {
            return (req, resp);
        }
        if req.method == "INVITE" {
            self.ack_non_2xx(&req, &resp);
        }
        let retry = self.with_credentials(&req, &resp, &self.user, &self.password);
        self.send(&retry);
        let resp = self
            .final_response(&retry, PROMPT)
            .unwrap_or_else(|| panic!("no final response to authenticated {}", retry.method));
        (retry, resp)
    }

    /// Calls `aor`: an INVITE with this agent's Contact, through the 407 challenge; returns
    /// the authorized INVITE, sent.
    pub fn call(&mut self, aor: &str) -> Req {
        let invite = self
            .request("INVITE", aor, aor)
            .header("Contact", format!("<{}>", self.own_contact()));
        let invite = self.authorize(&invite);
        self.send(&invite);
        invite
    }

    /// Sends `req`, expects a 401 or 407 to it (acknowledged when `req` is an INVITE), and
    /// returns the next transaction carrying credentials for it, not yet sent.
    pub fn authorize(&mut self, req: &Req) -> Req {
        self.send(req);
        let resp = self
            .final_response(req, PROMPT)
            .unwrap_or_else(|| panic!("no final response to {} {}", req.method, req.uri));
        assert!(
            matches!(resp.status(), 401 | 407),
            "expected a challenge:\n{}",
            text(&resp)
        );
        if req.method == "INVITE" {
            self.ack_non_2xx(req, &resp);
        }
        self.with_credentials(req, &resp, &self.user, &self.password)
    }

    /// The next transaction of `req` carrying credentials of `user`/`password` for the
    /// first challenge of `challenged` (a 401 or 407 to `req`).
    pub fn with_credentials(
        &self,
        req: &Req,
        challenged: &Response,
        user: &str,
        password: &str,
    ) -> Req {
        let (ask, answer) = if challenged.status() == 401 {
            (HeaderName::WwwAuthenticate, "Authorization")
        } else {
            (HeaderName::ProxyAuthenticate, "Proxy-Authorization")
        };
        let value = header_str(challenged.headers().get(ask)).expect("a challenge header");
        let challenge = Challenge::parse(&value).expect("a parsable challenge");
        let creds = ClientCredentials {
            username: user,
            password,
            nc: 1,
            cnonce: "0a4f113b",
        };
        let auth = client_response(&challenge, &req.method, &req.uri, &creds).expect("answerable");
        let mut next = req.next();
        next.headers.retain(|(n, _)| n != answer);
        next.header(answer, auth)
    }

    /// Registers `contacts` (whole Contact values) with an optional Expires header,
    /// answering the challenge; returns the final response.
    pub fn register(&mut self, contacts: &[&str], expires: Option<u32>) -> Response {
        let mut req = self.register_request();
        for c in contacts {
            req = req.header("Contact", *c);
        }
        if let Some(e) = expires {
            req = req.header("Expires", e.to_string());
        }
        self.send_authenticated(req).1
    }

    /// Like [`Ua::register`], asserting a 200.
    pub fn register_ok(&mut self, contacts: &[&str], expires: Option<u32>) {
        let resp = self.register(contacts, expires);
        assert_eq!(resp.status(), 200, "REGISTER refused:\n{}", text(&resp));
    }

    /// The ACK of a non-2xx final response to INVITE `req` (same transaction, RFC 3261
    /// §17.1.1.3).
    pub fn ack_non_2xx(&mut self, req: &Req, resp: &Response) {
        let mut ack = req.clone();
        ack.method = "ACK".into();
        ack.to = header_str(resp.headers().get(HeaderName::To)).expect("To");
        ack.headers.retain(|(n, _)| n == "Route");
        ack.body.clear();
        self.send(&ack);
    }

    /// The ACK of a 2xx to INVITE `req`: to the Contact of the answer, along its
    /// Record-Route (reversed), through the server. Returns it.
    pub fn ack_2xx(&mut self, req: &Req, resp: &Response) -> Req {
        let mut ack = self.in_dialog(req, resp, "ACK");
        ack.cseq = req.cseq;
        self.send(&ack);
        ack
    }

    /// A new in-dialog request (`method`) of the dialog `resp` (a 2xx to `req`) set up.
    pub fn in_dialog(&self, req: &Req, resp: &Response, method: &str) -> Req {
        let contact = header_str(resp.headers().get(HeaderName::Contact)).expect("Contact");
        let target = contact
            .trim()
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut routes: Vec<String> = resp
            .headers()
            .get_all(HeaderName::RecordRoute)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .collect();
        routes.reverse();
        let mut r = req.next();
        r.method = method.to_owned();
        r.uri = target;
        r.to = header_str(resp.headers().get(HeaderName::To)).expect("To");
        r.headers.clear();
        r.body.clear();
        for route in routes {
            r = r.header("Route", route);
        }
        r
    }

    /// Answers a received request with `status` (a To tag added when missing, a Contact on
    /// 2xx to INVITE), sent back where it came from.
    pub fn respond(&mut self, to: &Received, status: u16, reason: &str) {
        let req = to.request();
        let h = req.headers();
        let mut t = format!("SIP/2.0 {status} {reason}\r\n");
        for v in h.get_all(HeaderName::Via) {
            t.push_str(&format!("Via: {}\r\n", String::from_utf8_lossy(v)));
        }
        if (101..300).contains(&status) {
            for v in h.get_all(HeaderName::RecordRoute) {
                t.push_str(&format!("Record-Route: {}\r\n", String::from_utf8_lossy(v)));
            }
        }
        let to_value = header_str(h.get(HeaderName::To)).expect("To");
        let tagged = req
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned))
            .is_some();
        let to_value = if tagged || status == 100 {
            to_value
        } else {
            format!("{to_value};tag={}", self.tag)
        };
        t.push_str(&format!(
            "From: {}\r\nTo: {to_value}\r\nCall-ID: {}\r\nCSeq: {}\r\n",
            header_str(h.get(HeaderName::From)).expect("From"),
            header_str(h.get(HeaderName::CallId)).expect("Call-ID"),
            header_str(h.get(HeaderName::CSeq)).expect("CSeq"),
        ));
        if req.method().as_str() == "INVITE" && (200..300).contains(&status) {
            let contact = self
                .advertised
                .clone()
                .unwrap_or_else(|| self.own_contact());
            t.push_str(&format!("Contact: <{contact}>\r\n"));
        }
        t.push_str("Content-Length: 0\r\n\r\n");
        self.send_raw(t.as_bytes(), to.from);
    }

    fn read(&mut self, timeout: Duration) -> Option<Received> {
        match &mut self.link {
            Link::Udp(sock) => {
                sock.set_read_timeout(Some(timeout)).expect("timeout");
                let mut buf = vec![0u8; 65_535];
                let end = Instant::now() + timeout;
                loop {
                    match sock.recv_from(&mut buf) {
                        Ok((n, from)) => match Message::parse(Bytes::copy_from_slice(&buf[..n])) {
                            Ok(msg) => return Some(Received { msg, from }),
                            Err(e) => eprintln!("unparsable datagram ({e}) ignored"),
                        },
                        Err(e) if is_timeout(&e) => return None,
                        // A signal to the test process (a child exiting) interrupts the wait.
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => panic!("UDP receive: {e}"),
                    }
                    let left = end.checked_duration_since(Instant::now())?;
                    sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                        .expect("timeout");
                }
            }
            Link::Tcp {
                stream,
                buf,
                closed,
            } => {
                let from = stream.peer_addr().ok()?;
                let end = Instant::now() + timeout;
                loop {
                    match next_frame(buf, 1 << 20).expect("framing on the TCP stream") {
                        Frame::Message { len } => {
                            let bytes = Bytes::copy_from_slice(&buf[..len]);
                            buf.drain(..len);
                            let msg = Message::parse(bytes).expect("parsable message on TCP");
                            return Some(Received { msg, from });
                        }
                        Frame::Ping { len } | Frame::Pong { len } => {
                            buf.drain(..len);
                            continue;
                        }
                        Frame::Incomplete => {}
                    }
                    if *closed {
                        return None;
                    }
                    let left = end.checked_duration_since(Instant::now())?;
                    stream
                        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                        .expect("timeout");
                    let mut chunk = [0u8; 16_384];
                    match stream.read(&mut chunk) {
                        Ok(0) => *closed = true,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        Err(e) if is_timeout(&e) => return None,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => *closed = true,
                    }
                }
            }
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Whether `m` is a response to `req` (same Call-ID and CSeq number and method).
pub fn answers(m: &Message, req: &Req) -> bool {
    m.as_response().is_some()
        && m.call_id().ok() == Some(req.call_id.as_str())
        && m.cseq()
            .ok()
            .is_some_and(|c| c.seq() == req.cseq && c.method() == req.method)
}

/// A header value as text.
pub fn header_str(v: Option<&[u8]>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(b).into_owned())
}

/// The whole message as text, for failure messages.
pub fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.to_bytes()).into_owned()
}

/// The whole message as text, for failure messages.
pub fn msg_text(m: &Message) -> String {
    String::from_utf8_lossy(&m.to_bytes()).into_owned()
}

/// The Request-URI of a received request as text.
pub fn ruri(r: &Received) -> String {
    String::from_utf8_lossy(r.request().uri_raw()).into_owned()
}

/// Polls `f` every 20 ms until it returns `Some` or `timeout` passes.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
