;
; probewatch - modern.fp: signatures for what stock p0f 3.09b mislabels today
; ---------------------------------------------------------------------------
;
; Same format as p0f.fp (p0f v3). probewatch loads this file before p0f.fp, so these specific signatures win over
; the stock generic ("Linux 2.2.x-3.x", "Windows NT kernel", "Mac OS X") and fuzzy guesses; anything not covered
; here falls through to the stock database. `--signatures signatures/p0f.fp` alone gives exactly stock p0f.
;
; Every signature names the stack it was made from:
;   [kernel]   Linux 6.18 kernel connect()/accept() SYNs and SYN+ACKs captured by scripts/capture-linux-syns.sh
;              (fixtures/fingerprint/linux-kernel.pcap) and again live by test/fingerprint/live.test.ts;
;   [observed] signature shapes of real captures recorded in the project's reference notes on p0f (section 4),
;              which list them with the p0f label they get today.
;
; IPv6: the IPv4-only quirks df/id+/id- and the IPv6-only flow label may share one `*` signature: p0f drops the other
; family's quirks before comparing, so `df,id+,flow` matches an IPv4 SYN with DF and an IP ID, and an IPv6 SYN with a
; flow label. Stock signatures never list `flow`, which is why every Linux and Apple SYN over IPv6 is `os=???` there.
;
; Linux sizes its first window as the largest multiple of the MSS below 65535 (mss*44 for MSS 1457-1489, mss*45 for
; 1425-1456 such as IPv6 behind MTU 1500, mss*46 down to 1394, mss*47 to 1364, mss*48 to 1338), and its window
; scale from the largest receive buffer (tcp_rmem / rmem_max: 7 by default, up to 10 on tuned hosts).
;
; Written for probewatch; the format is p0f's (LGPL-2.1, see LICENSE.p0f), the signatures are our own observations.
;

classes = win,unix,other

[tcp:request]

; [kernel] Linux 6.18 defaults: window 64240 = 44 x 1460, mss,sok,ts,nop,ws, DF with a non-zero IP ID, scale 7;
; IPv6: window 64800 = 45 x 1440 with an automatic flow label. Scale 10 with tcp_rmem max 32 MB (observed), 8 and 9
; in between. The same kernel since 4.19 (reference notes: "Linux 4.19+ -> Linux 2.2.x-3.x (generic)").
label = s:unix:Linux:4.19 and newer
sig   = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*46,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*47,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*48,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,8:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,8:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,9:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,9:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,10:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,10:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*46,10:mss,sok,ts,nop,ws:df,id+,flow:0

; [kernel] net.ipv4.tcp_ecn=1: ECE+CWR on the SYN (stock p0f: generic fuzzy).
label = s:unix:Linux:4.19 and newer (ECN)
sig   = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn,flow:0
sig   = *:64:0:*:mss*45,7:mss,sok,ts,nop,ws:df,id+,ecn,flow:0
sig   = *:64:0:*:mss*44,10:mss,sok,ts,nop,ws:df,id+,ecn,flow:0
sig   = *:64:0:*:mss*45,10:mss,sok,ts,nop,ws:df,id+,ecn,flow:0

; [kernel] net.ipv4.tcp_timestamps=0: mss,nop,nop,sok,nop,ws (stock p0f: generic; IPv6: ???).
label = s:unix:Linux:4.19 and newer (no timestamps)
sig   = *:64:0:*:mss*44,7:mss,nop,nop,sok,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,7:mss,nop,nop,sok,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*46,7:mss,nop,nop,sok,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,10:mss,nop,nop,sok,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,10:mss,nop,nop,sok,nop,ws:df,id+,flow:0

; [kernel] net.ipv4.tcp_sack=0: mss,nop,nop,ts,nop,ws (stock p0f: ???).
label = s:unix:Linux:4.19 and newer (no SACK)
sig   = *:64:0:*:mss*44,7:mss,nop,nop,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,7:mss,nop,nop,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,10:mss,nop,nop,ts,nop,ws:df,id+,flow:0

; [kernel] net.ipv4.tcp_window_scaling=0: mss,sok,ts, scale 0 (stock p0f: ???).
label = s:unix:Linux:4.19 and newer (no window scaling)
sig   = *:64:0:*:mss*44,0:mss,sok,ts:df,id+,flow:0
sig   = *:64:0:*:mss*45,0:mss,sok,ts:df,id+,flow:0

; [kernel] net.ipv4.tcp_rmem="4096 87380 6291456" (the pre-5.x default initial buffer): window 42340 = 29 x 1460.
label = s:unix:Linux:4.x-5.x (87380-byte receive buffer)
sig   = *:64:0:*:mss*29,7:mss,sok,ts,nop,ws:df,id+,flow:0

; [kernel] net.ipv4.ip_default_ttl=128 (a Linux host dressed up as Windows; stock p0f: generic fuzzy).
label = s:unix:Linux:4.19 and newer (TTL 128)
sig   = *:128:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:128:0:*:mss*45,7:mss,sok,ts,nop,ws:df,id+,flow:0

; [observed] Android 10 and newer: window 65535, scale 8, Linux option order (stock p0f: generic "Linux 2.2.x-3.x").
label = s:unix:Android:10 or newer
sig   = *:64:0:*:65535,8:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:65535,9:mss,sok,ts,nop,ws:df,id+,flow:0

; [observed] Windows 10 and 11, also Server 2016 and newer: a fixed window of 64240 (= 44 x 1460, whatever the MSS),
; scale 8, mss,nop,ws,nop,nop,sok, TTL 128 (stock p0f: generic "Windows NT kernel").
label = s:win:Windows:10, 11 or Server 2016+
sig   = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0

; [observed] Current macOS and iOS: window 65535, scale 6 (or 5 with smaller buffers), Apple's option order ending in
; eol+1, DF with IP ID 0 (so no id+), ECN on by default on newer releases; IPv6 with a flow label (stock p0f: generic
; "Mac OS X", fuzzy with ECN, ??? over IPv6). macOS and iOS SYNs are the same.
label = s:unix:macOS:11 or newer, or iOS 14 or newer
sig   = *:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:df,flow:0
sig   = *:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:df,ecn,flow:0
sig   = *:64:0:*:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df,flow:0
sig   = *:64:0:*:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df,ecn,flow:0

[tcp:response]

; [kernel] Linux 6.18 accept(): window 65160 = 45 x (1460 - 12) with timestamps (IPv6: 64260 = 45 x (1440 - 12)),
; 64240 / 64800 without; DF with IP ID 0; the listener's scale (10 here: it depends on its buffer, so any).
label = s:unix:Linux:4.19 and newer
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df,flow:0
sig   = *:64:0:*:mss*46,*:mss,sok,ts,nop,ws:df,flow:0
sig   = *:64:0:*:mss*44,*:mss,nop,nop,sok,nop,ws:df,flow:0
sig   = *:64:0:*:mss*45,*:mss,nop,nop,sok,nop,ws:df,flow:0
sig   = *:64:0:*:mss*45,*:mss,nop,nop,ts,nop,ws:df,flow:0
sig   = *:64:0:*:mss*45,0:mss,sok,ts:df,flow:0

; [kernel] the answer to an ECN SYN carries ECE.
label = s:unix:Linux:4.19 and newer (ECN)
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df,ecn,flow:0
