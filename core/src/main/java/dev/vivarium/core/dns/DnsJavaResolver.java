package dev.vivarium.core.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A {@link DnsResolver} that forwards to upstream DNS servers with dnsjava's {@link SimpleResolver}
 * (UDP, retried over TCP when truncated). Every query sent upstream gets a fresh random transaction
 * id, so a guest cannot choose the ids the resolver sees; the guest's id is put back into the
 * answer. Answers are checked against the query before a guest sees them.
 */
public final class DnsJavaResolver implements DnsResolver {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.dns");

    /** Longest CNAME chain followed inside one answer. */
    private static final int MAX_CNAMES = 16;

    /** The servers in order; a lookup moves on to the next when one does not answer in time. */
    private final List<SimpleResolver> upstream;

    private final Duration timeout;
    private final String description;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param servers the upstream servers, tried in order: each but the last gets an equal share of
     *     the lookup's time, so a silent server leaves time for the next
     * @param timeout the longest one lookup may take ({@code dns.timeout})
     */
    public DnsJavaResolver(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS servers");
        }
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.description = servers.toString();
        List<SimpleResolver> each = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            SimpleResolver r = new SimpleResolver(s);
            r.setTimeout(timeout);
            each.add(r);
        }
        this.upstream = List.copyOf(each);
    }

    @Override
    public byte[] queryRaw(byte[] query, Duration timeout) throws InterruptedException {
        Message q;
        try {
            q = DnsMessages.parseQuery(query);
        } catch (IllegalArgumentException e) {
            LOG.debug("raw DNS query refused: {}", e.getMessage());
            return null;
        }
        int guestId = q.getHeader().getID();
        Message sent = q.clone();
        sent.getHeader().setID(random.nextInt(0x10000));
        Message answer = exchange(sent, timeout);
        if (answer == null) {
            return null;
        }
        answer.getHeader().setID(guestId);
        return answer.toWire();
    }

    @Override
    public List<InetAddress> queryIp(String name, boolean ipv6, Duration timeout)
            throws InterruptedException {
        Name qname;
        try {
            qname = DnsMessages.name(name);
        } catch (IllegalArgumentException e) {
            LOG.debug("DNS lookup refused: {}", e.getMessage());
            return null;
        }
        int type = ipv6 ? Type.AAAA : Type.A;
        Message q = Message.newQuery(Record.newRecord(qname, type, DClass.IN));
        q.getHeader().setID(random.nextInt(0x10000));
        Message answer = exchange(q, timeout);
        if (answer == null) {
            return null;
        }
        if (answer.getRcode() == Rcode.NXDOMAIN) {
            return List.of();
        }
        if (answer.getRcode() != Rcode.NOERROR) {
            LOG.debug("DNS lookup of {} failed: {}", name, Rcode.string(answer.getRcode()));
            return null;
        }
        return addresses(answer, qname, type);
    }

    /**
     * The addresses for {@code qname} in the answer section, following a CNAME chain; null (a
     * failure, not "no records") for a chain that loops or is longer than {@link #MAX_CNAMES}.
     */
    private static List<InetAddress> addresses(Message answer, Name qname, int type) {
        List<Record> records = answer.getSection(Section.ANSWER);
        Name target = qname;
        for (int hop = 0; hop <= MAX_CNAMES; hop++) {
            List<InetAddress> out = new ArrayList<>();
            Name next = null;
            for (Record r : records) {
                if (!r.getName().equals(target)) {
                    continue;
                }
                if (type == Type.A && r instanceof ARecord a) {
                    out.add(a.getAddress());
                } else if (type == Type.AAAA && r instanceof AAAARecord aaaa) {
                    out.add(aaaa.getAddress());
                } else if (r instanceof CNAMERecord c) {
                    next = c.getTarget();
                }
            }
            if (!out.isEmpty() || next == null) {
                return out;
            }
            target = next;
        }
        LOG.debug("DNS answer for {}: CNAME chain loops or is over {} long", qname, MAX_CNAMES);
        return null;
    }

    /**
     * Sends {@code q} to the servers in turn until one gives a checked answer; null after logging
     * why there is none. Each server but the last may take an equal share of the time.
     */
    private Message exchange(Message q, Duration callerTimeout) throws InterruptedException {
        long budget = Math.min(callerTimeout.toNanos(), timeout.toNanos());
        if (budget <= 0) {
            LOG.debug("DNS query not sent: no time left");
            return null;
        }
        long deadline = System.nanoTime() + budget;
        long share = budget / upstream.size();
        for (int i = 0; i < upstream.size(); i++) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            boolean last = i == upstream.size() - 1;
            Message answer = exchange(upstream.get(i), q, last ? left : Math.min(left, share));
            if (answer != null) {
                return answer;
            }
        }
        return null;
    }

    private Message exchange(SimpleResolver server, Message q, long waitNanos)
            throws InterruptedException {
        CompletableFuture<Message> f = server.sendAsync(q).toCompletableFuture();
        Message answer;
        try {
            answer = f.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            LOG.debug(
                    "DNS query to {} timed out after {} ms",
                    server.getAddress(),
                    waitNanos / 1_000_000);
            return null;
        } catch (ExecutionException e) {
            LOG.debug("DNS query to {} failed: {}", server.getAddress(), e.getCause().toString());
            return null;
        }
        try {
            DnsMessages.checkAnswer(answer, q);
        } catch (IllegalArgumentException e) {
            LOG.debug("DNS answer from {} refused: {}", server.getAddress(), e.getMessage());
            return null;
        }
        return answer;
    }

    @Override
    public String toString() {
        return "dnsjava resolver " + description + " (timeout " + timeout.toMillis() + " ms)";
    }
}
