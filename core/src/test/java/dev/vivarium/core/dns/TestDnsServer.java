package dev.vivarium.core.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/**
 * A small UDP DNS server on 127.0.0.1 (random port) answering from a table of records, built on
 * dnsjava. By default it knows {@value #NAME}: {@code A 192.0.2.1} and {@code AAAA 2001:db8::1}.
 * Unknown names get NXDOMAIN. A {@link Mode} makes it misbehave, to test answer validation.
 */
public final class TestDnsServer implements AutoCloseable {
    public static final String NAME = "vivarium.test";

    /** How the server answers. */
    public enum Mode {
        NORMAL,
        /** Never answers. */
        SILENT,
        /** Answers with another transaction id. */
        WRONG_ID,
        /** Answers with the QR bit clear. */
        QR_CLEAR,
        /** Answers a different question. */
        WRONG_QUESTION,
        /** Answers SERVFAIL. */
        SERVFAIL,
        /** Answers with bytes that are not a DNS message. */
        GARBAGE
    }

    private final DatagramSocket socket;
    private final Thread thread;
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final List<Integer> idsSeen = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.NORMAL;

    public TestDnsServer() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        a(NAME, "192.0.2.1");
        aaaa(NAME, "2001:db8::1");
        thread = new Thread(this::serve, "test-dns");
        thread.setDaemon(true);
        thread.start();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** A resolver for this server, as the engine would build it. */
    public DnsResolver resolver(Duration timeout) {
        return DnsOptions.of(address(), timeout).createResolver();
    }

    public TestDnsServer mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    /** The transaction ids of the queries received, in order. */
    public List<Integer> idsSeen() {
        return idsSeen;
    }

    public TestDnsServer a(String name, String address) {
        return add(name, n -> new ARecord(n, DClass.IN, 60, ip(address)));
    }

    public TestDnsServer aaaa(String name, String address) {
        return add(name, n -> new AAAARecord(n, DClass.IN, 60, ip(address)));
    }

    public TestDnsServer cname(String name, String target) {
        return add(name, n -> new CNAMERecord(n, DClass.IN, 60, name(target)));
    }

    private TestDnsServer add(String name, java.util.function.Function<Name, Record> r) {
        Name n = name(name);
        records.computeIfAbsent(n, k -> new CopyOnWriteArrayList<>()).add(r.apply(n));
        return this;
    }

    private void serve() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                idsSeen.add(q.getHeader().getID());
                byte[] answer = answer(q);
                if (answer != null) {
                    socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                }
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                // a malformed query: ignore it, as a server would
            }
        }
    }

    private byte[] answer(Message q) {
        Mode m = mode;
        if (m == Mode.SILENT) {
            return null;
        }
        if (m == Mode.GARBAGE) {
            return new byte[] {1, 2, 3};
        }
        Message r = new Message(q.getHeader().getID() ^ (m == Mode.WRONG_ID ? 0x5555 : 0));
        if (m != Mode.QR_CLEAR) {
            r.getHeader().setFlag(Flags.QR);
        }
        r.getHeader().setFlag(Flags.RD);
        r.getHeader().setFlag(Flags.RA);
        Record question = q.getQuestion();
        if (m == Mode.WRONG_QUESTION) {
            r.addRecord(
                    Record.newRecord(name("other.test"), question.getType(), DClass.IN),
                    Section.QUESTION);
        } else {
            r.addRecord(question, Section.QUESTION);
        }
        if (m == Mode.SERVFAIL) {
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return r.toWire();
        }
        List<Record> answers = new ArrayList<>();
        Name target = question.getName();
        boolean known = false;
        for (int hop = 0; hop < 8; hop++) {
            List<Record> rs = records.get(target);
            if (rs == null) {
                break;
            }
            known = true;
            Name next = null;
            for (Record rec : rs) {
                if (rec.getType() == question.getType()) {
                    answers.add(rec);
                } else if (rec instanceof CNAMERecord c) {
                    answers.add(rec);
                    next = c.getTarget();
                }
            }
            if (next == null) {
                break;
            }
            target = next;
        }
        if (!known) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        for (Record rec : answers) {
            r.addRecord(rec, Section.ANSWER);
        }
        return r.toWire();
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
