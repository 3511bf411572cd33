package org.dmd.core.event;

/** A kernel log line (what dmesg would show), e.g. the loader's EEXIST-override warning. */
public record KernelMessage(long seqnum, Level level, String text) implements Event {

    public enum Level { ERROR, WARNING, INFO }
}
