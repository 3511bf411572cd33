package org.dmd.client.bench;

/**
 * The baseline of scripts/bench's figure 8: a Java program that does nothing but print a line,
 * started with the JVM options scripts/dmctl gives a short command, so that the ratio shows what
 * dmctl's own start-up (class loading, picocli, the connection, the reply) adds to the JVM's.
 */
public final class Hello {

    private Hello() {
    }

    public static void main(String[] args) {
        System.out.println("hello");
    }
}
