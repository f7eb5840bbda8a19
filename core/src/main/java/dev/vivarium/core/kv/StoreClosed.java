package dev.vivarium.core.kv;

/**
 * Why a backend's store object no longer serves; {@link KvStores} closes it with one of these and
 * the backend's store fails every later operation with {@link KvUnavailableException#closed}.
 */
public enum StoreClosed {
    /** An operator deleted it; the deployment's next operation starts a new, empty store. */
    DELETED("was deleted"),
    /** Its deployment was removed; operations still running on it fail. */
    REMOVED("was deleted with its deployment"),
    /** It failed; the next operation opens it again from what it last made durable. */
    FAILED("could not write its data; it is opened again from its last commit"),
    /** Its lifetime ended and it was deleted. */
    EXPIRED("was deleted when its lifetime ended"),
    /** The engine is stopping. */
    CLOSED("is closed (the engine is stopping)");

    private final String text;

    StoreClosed(String text) {
        this.text = text;
    }

    /** The end of the sentence "the KV store of deployment 'x' ...". */
    public String text() {
        return text;
    }
}
