#!/usr/bin/env python3
"""Generate a deterministic mixed log corpus for the connwatch throughput benchmark.

Usage: gen-corpus.py OUT SIZE_MB [--seed N] [--error-rate R]

Writes exactly SIZE_MB * 2^20 bytes of newline-terminated log lines to OUT. The same
seed (and the same version of this script) always gives a byte-identical file.

Most lines are ordinary noise that connwatch must NOT report: syslog daemons (sshd,
systemd, kernel, cron), nginx access/error logs (401/403/404/500 statuses, "took 401 ms"
timings), Spring-style Java logs with NullPointerException stack traces that carry no
connector/app context, JSON structured logs, Kubernetes/containerd lines, Python logging,
and HTTP client logs of successful Microsoft Graph / Okta / Salesforce calls (200 OK).

About R (default 0.001 = 0.1%) of the lines are planted error lines that connwatch must
find: Defender for Cloud Apps app-connector errors (English originals), AADSTS errors in
MSAL / az CLI / token-endpoint JSON forms, and Microsoft Graph 401/403 error bodies.

Standard library only. Statistics are printed to stderr, the last line in the form
  gen-corpus: lines=N planted=M bytes=B seed=S
"""

import argparse
import calendar
import os
import random
import sys
import time

MIB = 1 << 20
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
START = calendar.timegm((2026, 11, 20, 0, 0, 0, 0, 0, 0))  # fixed, so output is reproducible
BLOCK_ENTRIES = 16384
TAIL_MODE_BYTES = 16 * MIB  # below this many remaining bytes, lines are written one by one


def make_corpus(out_path, target, seed, error_rate):
    rng = random.Random(seed)
    rnd = rng.random

    def ri(n):
        return int(rnd() * n)

    def pick(seq):
        return seq[int(rnd() * len(seq))]

    # ---- pools (built from the seeded generator, so deterministic) -------------------
    hexpool = "%x" % rng.getrandbits(4 * 262144)
    hexpool = hexpool.rjust(262144, "0")
    b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    b64pool = "".join(b64chars[ri(64)] for _ in range(65536))
    hexlen = len(hexpool) - 80
    b64len = len(b64pool) - 80

    def hx(n):
        o = ri(hexlen)
        return hexpool[o:o + n]

    def b64(n):
        o = ri(b64len)
        return b64pool[o:o + n]

    def uuid():
        o = ri(hexlen)
        s = hexpool[o:o + 32]
        return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32]

    hosts = []
    for prefix in ("web", "api", "db", "worker", "k8s-node", "edge", "batch", "ingest", "cache", "mq"):
        for _ in range(4):
            hosts.append("%s-%02d" % (prefix, 1 + ri(40)))
    hosts += ["ip-10-0-%d-%d" % (ri(16), 2 + ri(250)) for _ in range(12)]
    ips = ["10.%d.%d.%d" % (ri(32), ri(256), 1 + ri(254)) for _ in range(1500)]
    ips += ["%d.%d.%d.%d" % (pick((45, 62, 81, 91, 103, 185, 198, 203)), ri(256), ri(256), 1 + ri(254))
            for _ in range(1500)]
    users = ["deploy", "ubuntu", "ops", "jenkins", "backup", "postgres", "www-data", "svc-batch", "ansible"]
    badusers = ["admin", "test", "oracle", "user", "guest", "ftpuser", "pi", "support", "git", "hadoop"]
    people = ["jkim", "mlee", "spark", "a.novak", "l.garcia", "p.singh", "t.nguyen", "r.cohen"]
    names_utf8 = ["김민수", "이서연", "José Álvarez", "Zoë Müller", "田中 太郎", "Ольга", "Søren", "Ana"]
    orgs = ["contoso", "fabrikam", "northwind", "adatum", "tailspin", "woodgrove", "litware", "wingtip"]
    methods = ("GET",) * 14 + ("POST",) * 4 + ("PUT", "DELETE", "PATCH", "HEAD")
    statuses = ((200,) * 140 + (201,) * 8 + (204,) * 6 + (301,) * 6 + (302,) * 4 + (304,) * 12
                + (401,) * 6 + (403,) * 4 + (404,) * 10 + (499,) * 2 + (500,) * 3 + (502,) * 2 + (503,) * 1)
    # response times in ms; some deliberately equal to HTTP status numbers ("took 401 ms")
    timings = tuple(range(1, 120)) + tuple(range(120, 2500, 37)) + (401, 403, 404, 500, 401, 403, 500, 502)
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
        "curl/8.5.0", "kube-probe/1.30", "Go-http-client/1.1", "python-requests/2.32.3",
        "okhttp/4.12.0", "Prometheus/2.54.1", "Apache-HttpClient/4.5.14 (Java/17.0.12)",
    ]
    referers = ["-", "-", "-", "https://shop.example.com/", "https://app.example.com/dashboard",
                "https://www.bing.com/", "https://app.example.com/orders"]

    def path():
        k = ri(12)
        if k == 0:
            return "/api/v1/orders/%d" % ri(9000000)
        if k == 1:
            return "/api/v1/users/%d/profile" % ri(500000)
        if k == 2:
            return "/static/js/app.%s.js" % hx(8)
        if k == 3:
            return "/healthz"
        if k == 4:
            return "/metrics"
        if k == 5:
            return "/api/v2/search?q=%s&page=%d" % (pick(("shoes", "laptop", "gift+card", "usb-c", "desk")), 1 + ri(9))
        if k == 6:
            return "/login"
        if k == 7:
            return "/api/v1/carts/%s/items" % uuid()
        if k == 8:
            return "/images/products/%d/%d.webp" % (ri(90000), ri(8))
        if k == 9:
            return "/api/v1/invoices?status=open&limit=%d" % pick((20, 50, 100))
        if k == 10:
            return "/favicon.ico"
        return "/api/v1/reports/%s/export.csv" % hx(12)

    # ---- clock: one cached set of formatted timestamps per second --------------------
    now_ms = START * 1000 + ri(1000)
    cur_sec = -1
    ms = 0
    ts_sys = ts_iso = ts_ngx = ts_ngxerr = ts_py = ts_klog = ts_aad = ""
    boot = START - 86400 * 3 - ri(86400 * 20)

    # ---- noise templates ---------------------------------------------------------------
    def sshd():
        k = ri(7)
        u = pick(users)
        if k == 0:
            msg = "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s" % (u, pick(ips), 1024 + ri(64000), b64(43))
        elif k == 1:
            msg = "Connection closed by %s port %d [preauth]" % (pick(ips), 1024 + ri(64000))
        elif k == 2:
            msg = "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (u, 1000 + ri(40))
        elif k == 3:
            msg = "Disconnected from user %s %s port %d" % (u, pick(ips), 1024 + ri(64000))
        elif k == 4:
            msg = "Invalid user %s from %s port %d" % (pick(badusers), pick(ips), 1024 + ri(64000))
        elif k == 5:
            msg = "Failed password for invalid user %s from %s port %d ssh2" % (pick(badusers), pick(ips), 1024 + ri(64000))
        else:
            msg = "Received disconnect from %s port %d:11: Bye Bye [preauth]" % (pick(ips), 1024 + ri(64000))
        return "%s %s sshd[%d]: %s" % (ts_sys, pick(hosts), 1000 + ri(60000), msg)

    systemd_msgs = (
        "Starting Daily apt download activities...",
        "Finished Daily apt download activities.",
        "logrotate.service: Deactivated successfully.",
        "Finished Rotate log files.",
        "Starting Cleanup of Temporary Directories...",
        "systemd-tmpfiles-clean.service: Deactivated successfully.",
        "Reloading nginx.service - A high performance web server and a reverse proxy server...",
        "Reloaded nginx.service - A high performance web server and a reverse proxy server.",
        "Starting Refresh fwupd metadata and update motd...",
        "motd-news.service: Deactivated successfully.",
        "Started snap.lxd.hook.configure.%s.scope.",
        "Started Session %d of User %s.",
        "session-%d.scope: Deactivated successfully.",
        "docker-%s.scope: Consumed %d.%03ds CPU time.",
        "apt-daily-upgrade.timer: Adding %dmin %d.%06ds random time.",
    )

    def systemd():
        m = pick(systemd_msgs)
        if "%" in m:
            if m.startswith("Started snap"):
                m = m % uuid()
            elif m.startswith("Started Session"):
                m = m % (ri(90000), pick(users))
            elif m.startswith("session-"):
                m = m % ri(90000)
            elif m.startswith("docker-"):
                m = m % (hx(64), ri(900), ri(1000))
            else:
                m = m % (ri(60), ri(60), ri(1000000))
        return "%s %s systemd[1]: %s" % (ts_sys, pick(hosts), m)

    def kernel():
        k = ri(7)
        if k == 0:
            msg = "IPv4: martian source %s from %s, on dev eth0" % (pick(ips), pick(ips))
        elif k == 1:
            msg = "EXT4-fs (nvme0n1p%d): mounted filesystem with ordered data mode. Quota mode: none." % (1 + ri(3))
        elif k == 2:
            msg = "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters."
        elif k == 3:
            msg = ('audit: type=1400 audit(%d.%03d:%d): apparmor="DENIED" operation="open" profile="/usr/sbin/chronyd" '
                   'name="/etc/ssl/openssl.cnf" pid=%d comm="chronyd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
                   % (cur_sec, ms, ri(900000), 300 + ri(60000)))
        elif k == 4:
            msg = ("[UFW BLOCK] IN=eth0 OUT= MAC=02:42:ac:11:00:02:02:42:ac:11:00:01:08:00 SRC=%s DST=%s LEN=40 TOS=0x00 "
                   "PREC=0x00 TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"
                   % (pick(ips), pick(ips), 30 + ri(220), ri(65536), 1024 + ri(64000), pick((22, 23, 3389, 5900, 8080, 6379))))
        elif k == 5:
            msg = "eth0: renamed from veth%s" % hx(7)
        else:
            msg = "cni0: port %d(veth%s) entered forwarding state" % (1 + ri(30), hx(8))
        up = cur_sec - boot
        return "%s %s kernel: [%d.%06d] %s" % (ts_sys, pick(hosts), up, ri(1000000), msg)

    def cron():
        k = ri(4)
        if k == 0:
            msg = "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"
        elif k == 1:
            msg = "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
        elif k == 2:
            msg = "(www-data) CMD (php /var/www/app/artisan schedule:run >> /dev/null 2>&1)"
        else:
            msg = "pam_unix(cron:session): session closed for user root"
        return "%s %s CRON[%d]: %s" % (ts_sys, pick(hosts), 1000 + ri(60000), msg)

    def nginx_access():
        st = pick(statuses)
        line = '%s - %s [%s] "%s %s HTTP/%s" %d %d "%s" "%s" rt=%d.%03d' % (
            pick(ips), "-" if ri(10) else pick(people), ts_ngx, pick(methods), path(),
            pick(("1.1", "1.1", "1.1", "2.0")), st, 0 if st in (204, 304) else 80 + ri(90000),
            pick(referers), pick(agents), ri(3), ri(1000))
        if ri(4) == 0:
            return "%s %s nginx: %s" % (ts_sys, pick(hosts), line)
        return line

    def nginx_error():
        p = path()
        if ri(3):
            return ('%s [error] %d#%d: *%d connect() failed (111: Connection refused) while connecting to upstream, '
                    'client: %s, server: shop.example.com, request: "GET %s HTTP/1.1", upstream: "http://127.0.0.1:%d%s"'
                    % (ts_ngxerr, 100 + ri(9000), ri(8), ri(9000000), pick(ips), p, pick((8080, 8081, 9000)), p))
        return ('%s [warn] %d#%d: *%d an upstream response is buffered to a temporary file '
                '/var/cache/nginx/proxy_temp/%d/%02d/%010d while reading upstream, client: %s, server: shop.example.com'
                % (ts_ngxerr, 100 + ri(9000), ri(8), ri(9000000), ri(10), ri(100), ri(10 ** 9), pick(ips)))

    threads = ("http-nio-8080-exec-%d", "scheduling-%d", "kafka-consumer-%d", "ForkJoinPool.commonPool-worker-%d",
               "task-%d", "pool-2-thread-%d")
    loggers = ("c.e.orders.web.OrderController", "o.s.web.servlet.DispatcherServlet", "c.e.billing.InvoiceService",
               "com.zaxxer.hikari.pool.HikariPool", "o.a.k.clients.consumer.KafkaConsumer",
               "c.e.catalog.PriceSyncJob", "c.e.shipping.LabelClient", "o.h.engine.jdbc.spi.SqlExceptionHelper")

    def jprefix(level):
        return "%s.%03d %5s %d --- [%s] %-40s : " % (ts_py, ms, level, 1000 + ri(60000), pick(threads) % (1 + ri(20)),
                                                     pick(loggers))

    def java_app():
        k = ri(9)
        lvl = "WARN" if ri(7) == 0 else "INFO"
        if k == 0:
            msg = "Order %d processed, took %d ms" % (ri(9000000), pick(timings))
        elif k == 1:
            msg = "Completed %s %s with status %d in %d ms" % (pick(methods), path(), pick(statuses), pick(timings))
        elif k == 2:
            lvl = "WARN"
            msg = "HikariPool-1 - Connection is not available, request timed out after 30000ms."
        elif k == 3:
            msg = "Fetched %d price updates from upstream in %d ms (status 200)" % (ri(5000), pick(timings))
        elif k == 4:
            msg = "Cache miss for key user:%d; loading from repository" % ri(900000)
        elif k == 5:
            lvl = "WARN"
            msg = "Retrying POST https://payments.internal.example.com/api/charge (attempt %d/3) after HTTP %d" % (
                1 + ri(3), pick((502, 503, 504)))
        elif k == 6:
            msg = "Scheduled task 'reconcileInvoices' finished in %d ms, %d invoices updated" % (pick(timings), ri(400))
        elif k == 7:
            msg = "Request %s returned 401 for anonymous session, redirecting to /login" % uuid()
        else:
            msg = "Committed offsets for partition orders-%d at offset %d (lag %d)" % (ri(12), ri(10 ** 9), ri(500))
        return jprefix(lvl) + msg

    npe_msgs = (
        'java.lang.NullPointerException: Cannot invoke "String.length()" because "<local3>" is null',
        'java.lang.NullPointerException: Cannot invoke "java.util.List.size()" because "items" is null',
        'java.lang.NullPointerException: Cannot read field "next" because "node" is null',
        "java.lang.IllegalStateException: Cart %s is already checked out",
    )
    frames = (
        "\tat com.example.billing.InvoiceService.computeTotal(InvoiceService.java:%d) ~[classes/:na]",
        "\tat com.example.orders.web.OrderController.checkout(OrderController.java:%d) ~[classes/:na]",
        "\tat com.example.catalog.PriceSyncJob.applyDiscounts(PriceSyncJob.java:%d) ~[classes/:na]",
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:%d) ~[na:na]",
        "\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:%d) ~[spring-webmvc-6.1.13.jar:6.1.13]",
        "\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:%d) ~[spring-webmvc-6.1.13.jar:6.1.13]",
        "\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:%d) ~[tomcat-embed-core-10.1.30.jar:10.1.30]",
        "\tat org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:%d) ~[tomcat-embed-core-10.1.30.jar:10.1.30]",
    )
    extra_lines = [0]

    def java_npe():
        m = pick(npe_msgs)
        if "%s" in m:
            m = m % uuid()
        parts = [jprefix("ERROR") + "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw "
                 "exception [Request processing failed: %s] with root cause" % m.split(":", 1)[0], m]
        n = 2 + ri(6)
        for _ in range(n):
            parts.append(pick(frames) % (20 + ri(900)))
        extra_lines[0] += n + 1
        return "\n".join(parts)

    def json_log():
        k = ri(4)
        lvl = "warn" if ri(9) == 0 else "info"
        if k == 0:
            return ('{"ts":"%s.%03dZ","level":"%s","logger":"http","msg":"request completed","method":"%s","path":"%s",'
                    '"status":%d,"duration_ms":%d.%d,"request_id":"%s"}'
                    % (ts_iso, ms, lvl, pick(methods), path(), pick(statuses), pick(timings), ri(10), uuid()))
        if k == 1:
            return ('{"ts":"%s.%03dZ","level":"%s","logger":"accounts","msg":"profile updated","user_id":%d,'
                    '"display_name":"%s","changed":["email","phone"],"trace_id":"%s"}'
                    % (ts_iso, ms, lvl, ri(900000), pick(names_utf8), hx(32)))
        if k == 2:
            return ('{"time":"%s.%03dZ","severity":"INFO","component":"queue-worker","event":"job.finished",'
                    '"job":"export-%d","attempt":%d,"elapsed_ms":%d,"host":"%s"}'
                    % (ts_iso, ms, ri(90000), 1 + ri(3), pick(timings), pick(hosts)))
        return ('{"@timestamp":"%s.%03dZ","log.level":"%s","message":"upstream call finished","service.name":"checkout",'
                '"http.response.status_code":%d,"event.duration":%d,"url.path":"%s"}'
                % (ts_iso, ms, lvl, pick(statuses), ri(10 ** 9), path()))

    pods = ["web-5d8f7c9b6-%s" % hx(5) for _ in range(20)] + ["worker-7c9d4f-%s" % hx(5) for _ in range(10)]

    def k8s():
        k = ri(6)
        us = ms * 1000 + ri(1000)
        if k == 0:
            return 'I%s.%06d       1 controller.go:%d] "Successfully synced" key="default/%s"' % (
                ts_klog, us, 100 + ri(300), pick(pods))
        if k == 1:
            return ('%s %s kubelet[%d]: I%s.%06d %7d prober.go:%d] "Probe failed" probeType="Readiness" pod="default/%s" '
                    'podUID="%s" containerName="app" probeResult="failure" output="HTTP probe failed with statuscode: 503"'
                    % (ts_sys, pick(hosts), 800 + ri(2000), ts_klog, us, 800 + ri(2000), 100 + ri(20), pick(pods), uuid()))
        if k == 2:
            return '%s %s containerd[%d]: time="%s.%06d000Z" level=info msg="StartContainer for \\"%s\\" returns successfully"' % (
                ts_sys, pick(hosts), 600 + ri(900), ts_iso, us, hx(64))
        if k == 3:
            return ('%s %s containerd[%d]: time="%s.%06d000Z" level=info msg="CreateContainer within sandbox \\"%s\\" '
                    'for container &ContainerMetadata{Name:app,Attempt:%d,}"'
                    % (ts_sys, pick(hosts), 600 + ri(900), ts_iso, us, hx(64), ri(4)))
        if k == 4:
            p = pick(pods)
            u = uuid()
            return ('E%s.%06d    %d pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" '
                    'for \\"app\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=app pod=%s_default(%s)\\"" '
                    'pod="default/%s" podUID="%s"' % (ts_klog, us, 800 + ri(2000), p, u, p, u))
        return 'I%s.%06d       1 event.go:%d] "Event occurred" object="default/%s" kind="Pod" reason="Pulled" message="Container image already present on machine"' % (
            ts_klog, us, 300 + ri(100), pick(pods))

    def python_log():
        k = ri(6)
        if k == 0:
            return "%s,%03d INFO [celery.worker.strategy] Task tasks.send_email[%s] received" % (ts_py, ms, uuid())
        if k == 1:
            return "%s,%03d INFO [celery.app.trace] Task tasks.send_email[%s] succeeded in %d.%03ds: None" % (
                ts_py, ms, uuid(), ri(3), ri(1000))
        if k == 2:
            return "%s,%03d WARNING [django.request] Not Found: %s" % (ts_py, ms, pick(
                ("/wp-login.php", "/.env", "/xmlrpc.php", "/phpmyadmin/index.php", "/.git/config")))
        if k == 3:
            return "%s,%03d DEBUG [urllib3.connectionpool] https://api.stripe.com:443 \"POST /v1/payment_intents HTTP/1.1\" 200 %d" % (
                ts_py, ms, 800 + ri(4000))
        if k == 4:
            return "%s,%03d INFO [app.jobs.reindex] Processed batch %d (%d items) in %d ms" % (
                ts_py, ms, ri(100000), ri(1000), pick(timings))
        return '%s,%03d INFO [gunicorn.access] %s - - [%s] "GET /api/health HTTP/1.1" 200 17 "-" "kube-probe/1.30"' % (
            ts_py, ms, pick(ips), ts_ngx)

    def http_client():
        k = ri(7)
        t = pick(timings)
        if k == 0:
            return ("%s.%03dZ INFO  [graph-sync] GET https://graph.microsoft.com/v1.0/users?$select=id,displayName,mail"
                    "&$top=999&$skiptoken=%s -> 200 OK (%d ms) request-id=%s" % (ts_iso, ms, b64(40), t, uuid()))
        if k == 1:
            return "%s.%03dZ INFO  [graph-sync] POST https://login.microsoftonline.com/%s/oauth2/v2.0/token -> 200 OK (%d ms)" % (
                ts_iso, ms, uuid(), t)
        if k == 2:
            return "%s.%03dZ INFO  [okta-poller] GET https://%s.okta.com/api/v1/logs?since=%sZ&limit=1000 200 OK took %d ms, %d events" % (
                ts_iso, ms, pick(orgs), ts_iso, t, ri(1000))
        if k == 3:
            return ("%s.%03dZ INFO  [sfdc-client] GET https://%s.my.salesforce.com/services/data/v61.0/query?q=SELECT+Id,Name+FROM+Account"
                    "+LIMIT+200 -> 200 OK took %d ms" % (ts_iso, ms, pick(orgs), t))
        if k == 4:
            return "%s.%03d DEBUG [OkHttp https://graph.microsoft.com/...] okhttp3.OkHttpClient : <-- 200 OK https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=500 (%dms, %d-byte body)" % (
                ts_py, ms, t, 2000 + ri(900000))
        if k == 5:
            return "%s,%03d INFO [msal.token_cache] Token acquired for scopes ['https://graph.microsoft.com/.default'], expires in %d s" % (
                ts_py, ms, 3000 + ri(600))
        return "%s.%03dZ INFO  [okta-poller] GET https://%s.okta.com/api/v1/users?limit=200&after=%s 200 OK (%d ms)" % (
            ts_iso, ms, pick(orgs), b64(20).replace("+", "x").replace("/", "y"), t)

    noise = ((sshd, 6), (systemd, 6), (kernel, 5), (cron, 3), (nginx_access, 24), (nginx_error, 2), (java_app, 14),
             (java_npe, 1), (json_log, 12), (k8s, 11), (python_log, 8), (http_client, 8))
    noise_table = []
    for fn, w in noise:
        noise_table += [fn] * w
    nn = len(noise_table)

    # ---- planted error lines (English originals of the systems' texts) ----------------
    # (app context prefix, error text); {t} = a tenant id, {o} = an org name, filled per line
    connector_errors = (
        ("office365", 'HttpRequestFailure: Server returned: 400 Bad Request: {"error":{"code":"AF20012","message":"Specified tenant ID ({t}) is incorrectly configured in the system."'),
        ("box", 'AuthFatalFailureException: com.box.boxjavalibv2.exceptions.BoxServerException: {"error":"invalid_grant","error_description":"Invalid refresh token"}'),
        ("box", "BoxRestException: Failed to parse response."),
        ("box", 'ContextManagerServiceException: com.adallom.adalib.httputils.exceptions.TokenRefreshException: {"error":"invalid_grant","error_description":"Invalid refresh token"}'),
        ("box", "BoxServerException: User cannot access this feature without having an enterprise"),
        ("box", "BoxServerException: Unauthorized - Cannot authorize with this service"),
        ("okta", "com.adallom.adalib.httputils.exceptions.HttpRequestFailure: Server returned: 401 Unauthorized"),
        ("okta", "com.adallom.adalib.httputils.exceptions.HttpRequestFailure: Server returned: 401 Unauthorized"),
        ("okta", "com.adallom.adalib.httputils.exceptions.HttpRequestFailure: Server returned: 404 Not Found"),
        ("salesforce", "java.net.SocketTimeoutException: Read timed out"),
        ("salesforce", "HttpRequestFailure: Server returned: 400 Bad Request"),
        ("office365", "HttpRequestFailure: Server returned: 401 Unauthorized"),
        ("office365", 'TokenRefreshException: {"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS70008: The provided authorization code or refresh token is expired. Send a new interactive authorization request for this user and resource.'),
        ("office365", 'ContextManagerServiceException: com.adallom.adalib.httputils.exceptions.TokenRefreshException: {"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS70008: The provided authorization code or refresh token is expired. Send a new interactive authorization request for this user and resource.'),
        ("office365", "IgniteException"),
        ("office365", "java.lang.NullPointerException"),
        ("gsuite", "GoogleJsonResponseException: 401 Unauthorized"),
        ("gsuite", "GoogleJsonResponseException: 403 Forbidden"),
        ("gsuite", "TokenResponseException: 400 Bad Request"),
        ("servicenow", "RuntimeException: com.adallom.adalib.httputils.exceptions.HttpRequestFailure: Server returned: 403 Forbidden"),
        ("exchange-online", "HttpRequestFailure: Server returned: 401 Unauthorized"),
        ("exchange-online", "HttpRequestFailure: Server returned: 404 Not Found"),
        ("aws", "java.lang.NullPointerException"),
        ("all", "HttpRequestFailure: Server returned: 500 Internal server error"),
    )
    app_ctx = {
        "office365": ("Office365Connector", "Office 365 activity fetch failed for tenant {t} (manage.office.com):"),
        "box": ("BoxConnector", "Box events poll failed for enterprise {n} (api.box.com):"),
        "okta": ("OktaConnector", "Okta system log poll failed for {o}.okta.com:"),
        "salesforce": ("SalesforceConnector", "Salesforce EventLogFile query failed for {o}.my.salesforce.com:"),
        "gsuite": ("GSuiteConnector", "G Suite admin reports fetch failed for domain {o}.com (admin.googleapis.com):"),
        "servicenow": ("ServiceNowConnector", "ServiceNow audit fetch failed for {o}.service-now.com:"),
        "exchange-online": ("ExchangeOnlineConnector", "Exchange Online mailbox audit fetch failed (outlook.office365.com, tenant {t}):"),
        "aws": ("AwsConnector", "AWS CloudTrail poll failed for account {n} (cloudtrail.us-east-1.amazonaws.com):"),
        "all": ("AppConnectorPoller", "connector poll {n} failed:"),
    }

    def planted_connector():
        app, text = pick(connector_errors)
        cls, ctx = app_ctx[app]
        t = uuid()
        o = pick(orgs)
        n = "%012d" % ri(10 ** 12)
        ctx = ctx.replace("{t}", t).replace("{o}", o).replace("{n}", n)
        text = text.replace("{t}", t)
        return "%s.%03d ERROR %d --- [connector-sync-%d] c.a.connectors.%s : %s %s" % (
            ts_py, ms, 1000 + ri(60000), 1 + ri(16), cls, ctx, text)

    # code -> (OAuth error, message as the STS prints it); {a} app id, {t} tenant, {u} user, {d} date, {r} resource
    aadsts = (
        ("50126", "invalid_grant", "AADSTS50126: Error validating credentials due to invalid username or password."),
        ("7000215", "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{a}'."),
        ("7000222", "invalid_client", "AADSTS7000222: The provided client secret keys for app '{a}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."),
        ("700016", "unauthorized_client", "AADSTS700016: Application with identifier '{a}' was not found in the directory '{o}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
        ("50076", "invalid_grant", "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{r}'."),
        ("65001", "invalid_grant", "AADSTS65001: The user or administrator has not consented to use the application with ID '{a}' named '{o}-sync'. Send an interactive authorization request for this user and resource."),
        ("700082", "invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on {d} and was inactive for 90.00:00:00."),
        ("90002", "invalid_request", "AADSTS90002: Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
        ("53003", "invalid_grant", "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."),
        ("50034", "invalid_grant", "AADSTS50034: The user account {u} does not exist in the {t} directory. To sign into this application, the account must be added to the directory."),
        ("50173", "invalid_grant", "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{d}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{d}'."),
        ("50053", "invalid_grant", "AADSTS50053: The account is locked, you've tried to sign in too many times with an incorrect user ID or password."),
        ("50057", "invalid_grant", "AADSTS50057: The user account is disabled."),
        ("50055", "invalid_grant", "AADSTS50055: The password is expired."),
        ("500011", "invalid_resource", "AADSTS500011: The resource principal named https://{o}.sharepoint.com was not found in the tenant named {o}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."),
        ("70011", "invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://graph.microsoft.com/User.Read offline_access is not valid."),
        ("50079", "invalid_grant", "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{r}'."),
        ("70043", "invalid_grant", "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {d} and the maximum allowed lifetime for this request is 43200."),
    )

    def fill(msg):
        if "{" not in msg:
            return msg
        return (msg.replace("{a}", uuid()).replace("{t}", uuid()).replace("{o}", pick(orgs))
                .replace("{u}", "%s@%s.onmicrosoft.com" % (pick(people), pick(orgs)))
                .replace("{d}", "%s.%07dZ" % (ts_iso, ri(10 ** 7))).replace("{r}", "00000003-0000-0000-c000-000000000000"))

    def planted_aadsts():
        code, err, msg = pick(aadsts)
        msg = fill(msg)
        tr, co = uuid(), uuid()
        k = ri(5)
        if k == 0:  # MSAL.NET exception text in an app log
            exc = "MsalUiRequiredException" if code in ("50076", "50079", "53003", "65001", "700082", "70043") else "MsalServiceException"
            return "%s.%03d ERROR %d --- [token-refresh-%d] c.e.sync.GraphTokenProvider : Microsoft.Identity.Client.%s: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
                ts_py, ms, 1000 + ri(60000), 1 + ri(4), exc, msg, tr, co, ts_aad)
        if k == 1:  # az CLI
            return "%s %s az-runner[%d]: ERROR: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
                ts_sys, pick(hosts), 1000 + ri(60000), msg, tr, co, ts_aad)
        body = ('{"error":"%s","error_description":"%s\\r\\nTrace ID: %s\\r\\nCorrelation ID: %s\\r\\nTimestamp: %s",'
                '"error_codes":[%s],"timestamp":"%s","trace_id":"%s","correlation_id":"%s",'
                '"error_uri":"https://login.microsoftonline.com/error?code=%s"}'
                % (err, msg, tr, co, ts_aad, code, ts_aad, tr, co, code))
        if k == 2:  # raw token endpoint response body
            return body
        if k == 3:  # HTTP client log with the body
            return "%s.%03dZ WARN  [oauth-client] POST https://login.microsoftonline.com/%s/oauth2/v2.0/token -> 400 Bad Request: %s" % (
                ts_iso, ms, uuid(), body)
        # az CLI / MSAL Python wrapper around the body
        return "%s %s az-runner[%d]: ERROR: Get Token request returned http error: 400 and server response: %s" % (
            ts_sys, pick(hosts), 1000 + ri(60000), body)

    graph_errors = (
        (401, "Unauthorized", "InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        (401, "Unauthorized", "InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        (401, "Unauthorized", "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."),
        (401, "Unauthorized", "InvalidAuthenticationToken", "CompactToken parsing failed with error code: 80049217"),
        (401, "Unauthorized", "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."),
        (403, "Forbidden", "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        (403, "Forbidden", "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        (403, "Forbidden", "Authorization_IdentityNotFound", "The identity of the calling application could not be established."),
        (403, "Forbidden", "AccessDenied", "Either scp or roles claim need to be present in the token."),
        (403, "Forbidden", "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    )
    graph_paths = ("users", "users/{id}/messages", "groups/{id}/members", "auditLogs/signIns", "sites/root/drive/items/{id}",
                   "directoryRoles", "applications/{id}", "users/{id}/authentication/methods")

    def planted_graph():
        st, reason, code, msg = pick(graph_errors)
        body = '{"error":{"code":"%s","message":"%s","innerError":{"date":"%s","request-id":"%s","client-request-id":"%s"}}}' % (
            code, msg, ts_iso, uuid(), uuid())
        k = ri(3)
        if k == 0:
            return body
        p = pick(graph_paths).replace("{id}", uuid())
        if k == 1:
            return "%s.%03dZ ERROR [graph-sync] GET https://graph.microsoft.com/v1.0/%s -> %d %s: %s" % (
                ts_iso, ms, p, st, reason, body)
        return "%s,%03d ERROR [app.graph] Graph request failed: HTTP %d %s %s" % (ts_py, ms, st, reason, body)

    planted_table = [planted_connector] * 40 + [planted_aadsts] * 35 + [planted_graph] * 25
    np_ = len(planted_table)

    # ---- main loop ---------------------------------------------------------------------
    gap_max = max(2, int(round(2.0 / error_rate)) - 1) if error_rate > 0 else 0
    lines = 0
    planted = 0
    next_plant = 1 + ri(gap_max) if gap_max else -1
    remaining = target
    t0 = time.time()
    tmp_path = out_path + ".partial"

    def tick():
        nonlocal now_ms, cur_sec, ms, ts_sys, ts_iso, ts_ngx, ts_ngxerr, ts_py, ts_klog, ts_aad
        now_ms += ri(7)
        sec = now_ms // 1000
        ms = now_ms - sec * 1000
        if sec != cur_sec:
            cur_sec = sec
            g = time.gmtime(sec)
            Y, M, D, h, m, s = g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec
            ts_sys = "%s %2d %02d:%02d:%02d" % (MONTHS[M - 1], D, h, m, s)
            ts_py = "%04d-%02d-%02d %02d:%02d:%02d" % (Y, M, D, h, m, s)
            ts_iso = "%04d-%02d-%02dT%02d:%02d:%02d" % (Y, M, D, h, m, s)
            ts_ngx = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (D, MONTHS[M - 1], Y, h, m, s)
            ts_ngxerr = "%04d/%02d/%02d %02d:%02d:%02d" % (Y, M, D, h, m, s)
            ts_klog = "%02d%02d %02d:%02d:%02d" % (M, D, h, m, s)
            ts_aad = ts_py + "Z"

    def entry():
        nonlocal lines, planted, next_plant
        tick()
        if lines >= next_plant >= 0:
            s = planted_table[int(rnd() * np_)]()
            planted += 1
            next_plant = lines + 1 + ri(gap_max)
        else:
            s = noise_table[int(rnd() * nn)]()
        lines += 1 + extra_lines[0]  # multi-line entries (stack traces) count every line
        extra_lines[0] = 0
        return s

    with open(tmp_path, "wb") as f:
        # bulk mode: whole blocks, joined and encoded at once
        while remaining > TAIL_MODE_BYTES:
            parts = [entry() for _ in range(BLOCK_ENTRIES)]
            data = ("\n".join(parts) + "\n").encode("utf-8")
            f.write(data)
            remaining -= len(data)
        # tail mode: line by line, exact byte accounting
        buf = []
        while remaining > 500:
            before = (lines, planted, next_plant)
            d = (entry() + "\n").encode("utf-8")
            if len(d) <= remaining - 100:
                buf.append(d)
                remaining -= len(d)
            else:  # does not fit: drop it (deterministically) and undo its counts
                lines, planted, next_plant = before
        # filler: one or two plain ASCII lines of exactly the remaining size
        while remaining > 0:
            n = remaining if remaining <= 400 else remaining // 2
            tick()
            head = "%s %s systemd[1]: Finished Rotate log files; status=0/SUCCESS " % (ts_sys, pick(hosts))
            s = (head + "." * max(0, n - 1 - len(head)))[: n - 1] + "\n"
            buf.append(s.encode("ascii"))
            remaining -= n
            lines += 1
        f.write(b"".join(buf))
    os.replace(tmp_path, out_path)
    return lines, planted, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description="Generate a deterministic mixed log corpus for connwatch benchmarks.")
    ap.add_argument("out", help="output file")
    ap.add_argument("size_mb", type=float, help="size in MiB (2^20 bytes); the file has exactly this many bytes")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--error-rate", type=float, default=0.001,
                    help="fraction of lines that are planted error lines (default 0.001)")
    a = ap.parse_args()
    target = int(a.size_mb * MIB)
    if target < 4096:
        ap.error("SIZE_MB too small (need at least 4 KiB)")
    if not 0 <= a.error_rate < 0.5:
        ap.error("--error-rate must be in [0, 0.5)")
    lines, planted, secs = make_corpus(a.out, target, a.seed, a.error_rate)
    rate = target / MIB / secs if secs > 0 else float("inf")
    sys.stderr.write("gen-corpus: %s: %d bytes (%.1f MiB), %d lines, %d planted error lines (%.3f%%), seed %d, "
                     "%.1f s (%.1f MiB/s)\n" % (a.out, target, target / MIB, lines, planted,
                                                 100.0 * planted / max(1, lines), a.seed, secs, rate))
    sys.stderr.write("gen-corpus: lines=%d planted=%d bytes=%d seed=%d\n" % (lines, planted, target, a.seed))


if __name__ == "__main__":
    main()
