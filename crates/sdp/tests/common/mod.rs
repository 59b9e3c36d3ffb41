//! Realistic offers shared by the integration tests.
//!
//! Written with `\n` for readability; [`crlf`] turns them into what goes on
//! the wire.

#![allow(dead_code)]

/// Converts a fixture to CRLF line ends.
pub(crate) fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// A PJSIP-style audio offer: static PCMU/PCMA, telephone-event, a=rtcp
/// with address, session-level b= and a vendor attribute.
pub(crate) const PJSIP_OFFER: &str = "\
v=0
o=- 3914409183 3914409183 IN IP4 192.0.2.20
s=pjmedia
b=AS:84
t=0 0
a=X-nat:0
m=audio 4000 RTP/AVP 0 8 101
c=IN IP4 192.0.2.20
b=TIAS:64000
a=rtcp:4001 IN IP4 192.0.2.20
a=sendrecv
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ssrc:1343289155 cname:0a9b24a23ddd7d9f
";

/// The same PJSIP call put on hold: version bumped, a=sendonly.
pub(crate) const PJSIP_HOLD_REOFFER: &str = "\
v=0
o=- 3914409183 3914409184 IN IP4 192.0.2.20
s=pjmedia
b=AS:84
t=0 0
a=X-nat:0
m=audio 4000 RTP/AVP 0 8 101
c=IN IP4 192.0.2.20
b=TIAS:64000
a=rtcp:4001 IN IP4 192.0.2.20
a=sendonly
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ssrc:1343289155 cname:0a9b24a23ddd7d9f
";

/// A browser-style offer: BUNDLE, ICE, DTLS, rtcp-mux, audio and video.
pub(crate) const WEBRTC_OFFER: &str = "\
v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS stream1
m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 203.0.113.5
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.0.2.4 54321 typ host generation 0 network-id 1
a=candidate:842163049 1 udp 1686052607 203.0.113.5 54321 typ srflx raddr 192.0.2.4 rport 54321 generation 0 network-id 1
a=ice-ufrag:EsAw
a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:stream1 track-a
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6
m=video 54321 UDP/TLS/RTP/SAVPF 96 97 102 103
c=IN IP4 203.0.113.5
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.0.2.4 54321 typ host generation 0 network-id 1
a=ice-ufrag:EsAw
a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:1
a=sendrecv
a=msid:stream1 track-v
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=ssrc-group:FID 2231627014 632943048
a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6
";

/// A Linphone-style offer: opus, speex, fmtp (also for a static type),
/// several telephone-event rates, wildcard rtcp-fb.
pub(crate) const LINPHONE_OFFER: &str = "\
v=0
o=alice 1821 3314 IN IP4 192.0.2.33
s=Talk
c=IN IP4 192.0.2.33
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=fmtp:97 vbr=on
a=rtpmap:98 speex/8000
a=fmtp:98 vbr=on
a=fmtp:18 annexb=yes
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
";

/// Audio plus a video stream the offerer has disabled with port 0.
pub(crate) const REJECTED_STREAM_OFFER: &str = "\
v=0
o=bob 2890844526 2890844527 IN IP4 198.51.100.7
s=-
c=IN IP4 198.51.100.7
t=0 0
m=audio 49170 RTP/AVP 0 97
a=rtpmap:97 iLBC/8000
a=ptime:20
a=maxptime:40
m=video 0 RTP/AVP 31
";

/// The RFC 8866 §5 example plus every optional session-level line type:
/// r=, z=, k=, several e= and p=, and a media-level IPv6 c=.
pub(crate) const FULL_SESSION: &str = "\
v=0
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
s=Call to John Smith
i=SDP Offer #1
u=http://www.jdoe.example.com/home.html
e=Jane Doe <jane@jdoe.example.com>
e=jdoe@example.com (John Doe)
p=+1 617 555-6011
c=IN IP4 198.51.100.1
b=CT:128
t=3724394400 3724398000
r=604800 3600 0 90000
r=7d 1h 0 25h
t=0 0
z=2882844526 -1h 2898848070 0
k=prompt
a=recvonly
m=audio 49170 RTP/AVP 0
i=voice
m=audio 49180 RTP/AVP 0
m=video 51372/2 RTP/AVP 99
c=IN IP6 2001:db8::2
c=IN IP6 2001:db8::3
b=AS:512
k=clear:secret
a=rtpmap:99 h263-1998/90000
";

/// An SDES-SRTP offer (RFC 4568).
pub(crate) const SDES_OFFER: &str = "\
v=0
o=- 1 1 IN IP4 192.0.2.8
s=-
c=IN IP4 192.0.2.8
t=0 0
m=audio 5004 RTP/SAVP 0 101
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP
a=rtpmap:101 telephone-event/8000
a=ptime:20
";
