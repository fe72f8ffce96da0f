package io.txprocessor.deploy;

/** A value and where it is set: a file and a field, or the service's own default. */
record Setting(String value, String where) {
}
