package dev.vivarium.core.dns;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Validation of the DNS messages a guest sends and the answers it gets back. Parsing is dnsjava's;
 * the rules here decide what a guest may ask and what counts as an answer to it.
 */
final class DnsMessages {
    /** Largest DNS message (a TCP length prefix is 16 bits). */
    static final int MAX_MESSAGE = 65535;

    /** Smallest DNS message: the 12-byte header. */
    static final int HEADER_SIZE = 12;

    private static final Pattern NAME =
            Pattern.compile("([A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?");

    private DnsMessages() {}

    /**
     * Parses a guest's wire-format query: a standard query (opcode QUERY, QR clear) with exactly
     * one question, and not a zone transfer.
     *
     * @throws IllegalArgumentException saying why the query is refused
     */
    static Message parseQuery(byte[] wire) {
        if (wire.length < HEADER_SIZE || wire.length > MAX_MESSAGE) {
            throw new IllegalArgumentException(
                    "a DNS message has 12 to 65535 bytes, got " + wire.length);
        }
        Message q = parse(wire, "query");
        if (q.getHeader().getFlag(Flags.QR)) {
            throw new IllegalArgumentException("the query has the QR (response) bit set");
        }
        if (q.getHeader().getOpcode() != Opcode.QUERY) {
            throw new IllegalArgumentException(
                    "opcode " + Opcode.string(q.getHeader().getOpcode()) + " is not QUERY");
        }
        List<Record> questions = q.getSection(Section.QUESTION);
        if (questions.size() != 1) {
            throw new IllegalArgumentException(
                    "the query has " + questions.size() + " questions, expected exactly one");
        }
        int type = questions.get(0).getType();
        if (type == Type.AXFR || type == Type.IXFR) {
            throw new IllegalArgumentException("zone transfers are not allowed");
        }
        return q;
    }

    /**
     * Checks that {@code answer} answers {@code sent}: QR set, the same transaction id and the same
     * single question.
     *
     * @throws IllegalArgumentException saying why it does not
     */
    static void checkAnswer(Message answer, Message sent) {
        if (!answer.getHeader().getFlag(Flags.QR)) {
            throw new IllegalArgumentException("the answer has the QR (response) bit clear");
        }
        if (answer.getHeader().getID() != sent.getHeader().getID()) {
            throw new IllegalArgumentException("the answer's transaction id does not match");
        }
        List<Record> questions = answer.getSection(Section.QUESTION);
        if (questions.size() != 1 || !questions.get(0).equals(sent.getQuestion())) {
            throw new IllegalArgumentException("the answer's question does not match the query");
        }
    }

    /**
     * A guest's host name as an absolute DNS name: letters, digits, {@code -} and {@code _} in
     * labels of at most 63, at most 253 characters, one optional trailing dot.
     *
     * @throws IllegalArgumentException if it is not such a name
     */
    static Name name(String name) {
        if (name.length() > 254 || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a host name");
        }
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not a host name");
        }
    }

    private static Message parse(byte[] wire, String what) {
        try {
            return new Message(wire);
        } catch (IOException | RuntimeException e) {
            // dnsjava reports most malformed input as WireParseException, some as runtime errors
            throw new IllegalArgumentException(
                    "the " + what + " is not a DNS message: " + e.getMessage());
        }
    }
}
