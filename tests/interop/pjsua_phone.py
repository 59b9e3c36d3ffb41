#!/usr/bin/env python3
"""A PJSIP phone (pjsua2) that registers with a SIP server, for Carillon's end-to-end tests.

  pjsua_phone.py answer --server 127.0.0.1:5060 --user bob --password pw --algo sha256 ...
  pjsua_phone.py call   --server 127.0.0.1:5060 --user alice --password pw --algo md5 --target bob ...

Both register with digest authentication, print
`REGISTERED` once the server said 200, then:

- `answer` waits for one call, answers 200, waits for the BYE;
- `call` calls --target at the server's domain, keeps the call up for --hold seconds, hangs up.

--algo md5 gives PJSIP the MD5 HA1 instead of the password, so it can answer only an MD5
challenge; --algo sha256 gives it the password, and PJSIP 2.15 then answers the SHA-256 challenge
whatever the order of the challenges. (PJSIP 2.15 ignores the credential's
algoType, so a SHA-256 HA1 cannot be forced the same way.) The server counts which algorithm
each verification used.

Each checks that audio flowed: RTP packets were received, and the far end's RTP address is the
other phone's media address (printed as `MEDIA local=ADDR remote=ADDR rx=N`), i.e. directly
between the phones. Then each unregisters and exits 0 if everything happened, 1 otherwise.
Everything binds to 127.0.0.1, with a null audio device (PJSIP still sends RTP).
"""
import argparse
import gc
import hashlib
import sys

import pjsua2 as pj

import pjsua_peer
from pjsua_peer import pump, start_endpoint


class Call(pjsua_peer.Call):
    def media(self):
        """(local RTP address, remote RTP address, RTP packets received) of the audio stream."""
        info = self.getStreamInfo(0)
        stat = self.getStreamStat(0)
        ci = self.getInfo()
        local = ""
        for m in ci.media:
            if m.type == pj.PJMEDIA_TYPE_AUDIO:
                local = self.getMedTransportInfo(m.index).localRtpName
        return local, info.remoteRtpAddress, stat.rtcp.rxStat.pkt


class Account(pj.Account):
    def __init__(self):
        super().__init__()
        self.incoming = None
        self.reg_status = 0
        self.reg_active = False

    def onRegState(self, prm):
        info = self.getInfo()
        self.reg_status = prm.code
        self.reg_active = info.regIsActive

    def onIncomingCall(self, prm):
        call = Call(self, prm.callId)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)
        self.incoming = call


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["call", "answer"])
    ap.add_argument("--server", required=True, help="ADDR:PORT of the SIP server")
    ap.add_argument("--domain", default="127.0.0.1")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--algo", choices=["md5", "sha256"], default="md5")
    ap.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    ap.add_argument("--port", type=int, required=True, help="local SIP port")
    ap.add_argument("--target", help="user to call (call mode)")
    ap.add_argument("--hold", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--ca", help="CA file that verifies the server's TLS certificate")
    args = ap.parse_args()

    ep = start_endpoint(args.port, args.transport, ca=args.ca)

    suffix = "" if args.transport == "udp" else f";transport={args.transport}"
    scheme = "sip"
    acfg = pj.AccountConfig()
    acfg.idUri = f"{scheme}:{args.user}@{args.domain}"
    acfg.regConfig.registrarUri = f"{scheme}:{args.server}{suffix}"
    acfg.regConfig.timeoutSec = 300
    acfg.sipConfig.proxies.append(f"{scheme}:{args.server}{suffix};lr")
    if args.algo == "md5":
        # An MD5 HA1: PJSIP cannot answer a SHA-256 challenge with it.
        ha1 = hashlib.md5(f"{args.user}:{args.domain}:{args.password}".encode()).hexdigest()
        cred = pj.AuthCredInfo("digest", "*", args.user, pj.PJSIP_CRED_DATA_DIGEST, ha1)
        cred.algoType = pj.PJSIP_AUTH_ALGORITHM_MD5
    else:
        cred = pj.AuthCredInfo("digest", "*", args.user, pj.PJSIP_CRED_DATA_PLAIN_PASSWD, args.password)
    acfg.sipConfig.authCreds.append(cred)
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    acfg.natConfig.iceEnabled = False
    acfg.natConfig.sipOutboundUse = 0
    acc = Account()
    acc.create(acfg)

    ok = False
    call = None
    try:
        pump(ep, 10, lambda: acc.reg_status >= 200)
        if acc.reg_status != 200 or not acc.reg_active:
            print(f"registration failed (status {acc.reg_status})", file=sys.stderr)
            return 1
        print("REGISTERED", flush=True)
        if args.mode == "call":
            call = Call(acc)
            call.makeCall(f"{scheme}:{args.target}@{args.domain}", pj.CallOpParam(True))
            pump(ep, args.timeout, lambda: call.confirmed or call.disconnected)
            if not call.confirmed:
                print(f"call not answered (last status {call.last_status})", file=sys.stderr)
            else:
                pump(ep, args.hold)
                local, remote, rx = call.media()
                print(f"MEDIA local={local} remote={remote} rx={rx}", flush=True)
                call.hangup(pj.CallOpParam())
                pump(ep, 5, lambda: call.disconnected)
                ok = call.disconnected and rx > 0
                if not call.disconnected:
                    print("BYE not completed", file=sys.stderr)
                if rx == 0:
                    print("no RTP received", file=sys.stderr)
        else:
            pump(ep, args.timeout, lambda: acc.incoming is not None and acc.incoming.confirmed)
            call = acc.incoming
            media = None
            if call is not None and call.confirmed:
                pump(ep, 1.0)
                media = call.media()
                print(f"MEDIA local={media[0]} remote={media[1]} rx={media[2]}", flush=True)
            pump(ep, args.timeout, lambda: call is not None and call.disconnected)
            if call is None:
                print("no incoming call", file=sys.stderr)
            elif not call.confirmed:
                print(f"incoming call never confirmed (status {call.last_status})", file=sys.stderr)
            elif not call.disconnected:
                print("caller never sent BYE", file=sys.stderr)
            elif media is None or media[2] == 0:
                print("no RTP received", file=sys.stderr)
            else:
                ok = True
        # Unregister and wait for the answer.
        acc.setRegistration(False)
        pump(ep, 5, lambda: not acc.reg_active)
    finally:
        call = None
        acc.incoming = None
        acc.shutdown()
        acc = None
        gc.collect()
        ep.libDestroy()
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
