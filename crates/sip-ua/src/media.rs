//! The least SDP a real user agent accepts: one audio stream, PCMU and PCMA with
//! telephone-event, on a UDP port this agent holds (so nobody else takes it) but never reads.
//! There is no media; the port only makes the description honest.

use std::io;
use std::net::{IpAddr, UdpSocket};

use sdp::offer_answer::{Codec, LocalCapabilities, MediaCapability, create_answer};
use sdp::{Connection, Origin, SessionDescription};
use sip_dialog::Body;

/// A held RTP port and the session descriptions built around it.
#[derive(Debug)]
pub struct Media {
    _socket: UdpSocket,
    ip: IpAddr,
    port: u16,
    session_id: u64,
    version: u64,
}

impl Media {
    /// Binds a UDP port on `ip` (port chosen by the system) for the `m=` line.
    pub fn bind(ip: IpAddr) -> io::Result<Media> {
        let socket = UdpSocket::bind((ip, 0))?;
        let port = socket.local_addr()?.port();
        let session_id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs());
        Ok(Media {
            _socket: socket,
            ip,
            port,
            session_id,
            version: 1,
        })
    }

    /// The RTP port named in the descriptions.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn addr_type(&self) -> &'static str {
        if self.ip.is_ipv6() { "IP6" } else { "IP4" }
    }

    /// An offer: `m=audio PORT RTP/AVP 0 8 101`, sendrecv.
    pub fn offer(&mut self) -> Body {
        let (ip, port, at) = (self.ip, self.port, self.addr_type());
        let (id, ver) = (self.session_id, self.next_version());
        let text = format!(
            "v=0\r\n\
             o=carillon {id} {ver} IN {at} {ip}\r\n\
             s=carillon-ua\r\n\
             c=IN {at} {ip}\r\n\
             t=0 0\r\n\
             m=audio {port} RTP/AVP 0 8 101\r\n\
             a=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\n\
             a=ptime:20\r\n\
             a=sendrecv\r\n",
        );
        Body::sdp(text)
    }

    /// The answer to `offer` (RFC 3264, through [`sdp::offer_answer::create_answer`]): PCMU
    /// and PCMA where offered, telephone-event when offered, streams we cannot take rejected.
    pub fn answer(&mut self, offer: &[u8]) -> Result<Body, sdp::ParseError> {
        let offer = SessionDescription::parse(offer)?;
        let ip = self.ip.to_string();
        let mut origin = Origin::new(self.session_id.to_string(), self.next_version(), &ip);
        origin.username = "carillon".to_owned();
        let mut local = LocalCapabilities::new(origin, Connection::new(&ip));
        local.session_name = "carillon-ua".to_owned();
        local.media.push(
            MediaCapability::new(
                "audio",
                self.port,
                vec![Codec::new("PCMU", 8000), Codec::new("PCMA", 8000)],
            )
            .with_telephone_event(),
        );
        Ok(Body::sdp(create_answer(&offer, &local).to_string()))
    }

    fn next_version(&mut self) -> u64 {
        let v = self.version;
        self.version += 1;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_and_answer_name_the_held_port() {
        let mut media = Media::bind("127.0.0.1".parse().expect("ip")).expect("bind");
        let offer = media.offer();
        let text = std::str::from_utf8(offer.bytes()).expect("utf-8");
        assert!(text.contains(&format!("m=audio {} RTP/AVP 0 8 101\r\n", media.port())));
        assert!(text.contains("c=IN IP4 127.0.0.1\r\n"));
        assert!(text.contains("a=rtpmap:101 telephone-event/8000\r\n"));

        let peer_offer = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
            t=0 0\r\nm=audio 4000 RTP/AVP 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
        let answer = media.answer(peer_offer).expect("answer");
        let text = std::str::from_utf8(answer.bytes()).expect("utf-8");
        assert!(
            text.contains(&format!("m=audio {} RTP/AVP 0 101\r\n", media.port())),
            "{text}"
        );
        assert!(text.contains("o=carillon "), "{text}");
        assert!(media.answer(b"not sdp").is_err());
    }
}
