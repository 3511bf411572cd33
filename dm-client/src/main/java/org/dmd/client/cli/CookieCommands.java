package org.dmd.client.cli;

import java.io.IOException;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dmd.client.format.Formats;
import org.dmd.core.control.Replies;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The udev cookie commands. dmd keeps the cookies that libdm keeps in SysV semaphores; cookies
 * are shown and accepted in libdm's form, the semaphore key {@code 0x0D4D << 16 | N}, while dmd
 * knows them by N (the low 16 bits).
 */
final class CookieCommands {

    private final Session s;

    CookieCommands(Session session) {
        this.s = session;
    }

    /** libdm's _get_cookie_value: strtoul base 0, non-zero, at most 2^32-1, nothing after; 0 if invalid. */
    static long cookieValue(String text) {
        String t = text.strip();
        boolean hex = t.startsWith("0x") || t.startsWith("0X");
        boolean octal = !hex && t.length() > 1 && t.startsWith("0");
        String digits = hex ? t.substring(2) : octal ? t.substring(1) : t;
        if (digits.isEmpty() || digits.length() > 32) {
            return 0;
        }
        try {
            long value = Long.parseLong(digits, hex ? 16 : octal ? 8 : 10);
            return value > 0xFFFF_FFFFL || value < 0 ? 0 : value;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    boolean createCookie() {
        Replies.Cookie cookie = s.call("udevcreatecookie", Session.Target.UNNAMED, c -> c.udevCreateCookie());
        if (cookie == null) {
            return false;
        }
        s.result(cookie);
        if (cookie.cookie() != 0) {
            s.print(String.format("0x%08X", Formats.libdmCookie(cookie.cookie())) + "\n");
        }
        return true;
    }

    boolean releaseCookie(List<String> args) {
        long cookie = s.udevCookie;
        if (!args.isEmpty()) {
            cookie = cookieValue(args.get(0));
            if (cookie == 0) {
                s.error("Incorrect cookie value.");
                return false;
            }
        }
        if (cookie == 0) {
            s.error("No udev transaction cookie given.");
            return false;
        }
        if (!hasMagic(cookie)) {
            return false;
        }
        long key = cookie;
        return cookieCall(key, c -> c.udevReleaseCookie(key & 0xFFFF)) != null;
    }

    boolean complete(String arg) {
        long cookie = cookieValue(arg);
        if (cookie == 0) {
            s.error("Incorrect cookie value.");
            return false;
        }
        s.print(String.format("DM_COOKIE_COMPLETED=0x%-10x", cookie) + "\n");
        if ((cookie & 0xFFFF) == 0) {
            // Flags only: a cookie meant for the udev rules, not for notification.
            return true;
        }
        long key = Formats.libdmCookie(cookie);
        return cookieCall(key, c -> c.udevComplete(key & 0xFFFF)) != null;
    }

    boolean flags(String arg) {
        long cookie = cookieValue(arg);
        if (cookie == 0) {
            s.error("Incorrect cookie value.");
            return false;
        }
        StringBuilder out = new StringBuilder();
        Formats.udevFlags(out, cookie);
        s.print(out);
        return true;
    }

    boolean cookies() {
        Replies.Cookies cookies = s.call("udevcookies", Session.Target.UNNAMED, c -> c.udevCookies());
        if (cookies == null) {
            return false;
        }
        s.result(cookies);
        StringBuilder out = new StringBuilder();
        Formats.udevCookies(out, cookies.cookies(), ZoneId.systemDefault());
        s.print(out);
        return true;
    }

    /** udevcomplete_all [AGE_MINUTES]: asks first unless -y, then reports how many went. */
    boolean completeAll(List<String> args) {
        long age = 0;
        if (args.size() == 1) {
            String t = args.get(0).strip();
            if (t.isEmpty() || !Character.isDigit(t.charAt(0))) {
                s.error("Failed to read age_in_minutes parameter.");
                return false;
            }
            age = Integer.toUnsignedLong(Session.atoi(t));
        }
        int magic = Formats.COOKIE_MAGIC;
        if (!s.options.yes) {
            s.err.append(String.format("WARNING: This operation will destroy all semaphores %s%s%swith keys that "
                    + "have a prefix %d (0x%x).", age > 0 ? "older than " : "", age > 0 ? Long.toString(age) : "",
                    age > 0 ? " minutes " : "", magic, magic)).append('\n');
            if (!confirmed()) {
                s.print(String.format("Semaphores with keys prefixed by %d (0x%x) NOT destroyed.", magic, magic)
                        + "\n");
                return true;
            }
        }
        Replies.Cookies before = s.call("udevcookies", Session.Target.UNNAMED, c -> c.udevCookies());
        long minutes = age;
        if (before == null || s.call("udevcomplete_all", Session.Target.UNNAMED, c -> c.udevCompleteAll(minutes)) == null) {
            return false;
        }
        Replies.Cookies after = s.call("udevcookies", Session.Target.UNNAMED, c -> c.udevCookies());
        if (after == null) {
            return false;
        }
        Set<Long> remaining = new HashSet<>();
        after.cookies().forEach(c -> remaining.add(c.cookie()));
        int destroyed = 0;
        int skipped = 0;
        for (Replies.CookieInfo c : before.cookies()) {
            if (remaining.contains(c.cookie())) {
                skipped++;
            } else {
                destroyed++;
            }
        }
        s.print(String.format("%d semaphores with keys prefixed by %d (0x%x) destroyed. %d skipped.", destroyed,
                magic, magic, skipped) + "\n");
        return true;
    }

    /** dmsetup's _yes_no_prompt: asks until a line starts with y or n; end of input is no. */
    private boolean confirmed() {
        try {
            while (true) {
                s.out.append("Do you really want to continue? [y/n]: ");
                s.out.flush();
                int answer = 0;
                int c;
                while ((c = s.in.read()) != -1 && c != '\n') {
                    char lower = Character.toLowerCase((char) c);
                    if (lower == 'y' || lower == 'n') {
                        answer = lower;
                    }
                }
                if (c == -1) {
                    s.out.append('\n');
                    return false;
                }
                if (answer != 0) {
                    return answer == 'y';
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** libdm's _get_cookie_sem prefix check: a cookie that is not a dm semaphore key is refused. */
    private boolean hasMagic(long cookie) {
        if ((cookie >>> 16) != Formats.COOKIE_MAGIC) {
            s.error(String.format("Could not continue to access notification semaphore identified by cookie value "
                    + "%d (0x%x). Incorrect cookie prefix.", cookie, cookie));
            return false;
        }
        return true;
    }

    /** A cookie request; an unknown cookie fails with libdm's "Could not find" line. */
    private <T> T cookieCall(long key, Session.Call<T> call) {
        try {
            return call.run(s.client());
        } catch (org.dmd.client.ConnectionException e) {
            throw new Session.Abort(e.getMessage());
        } catch (DmException e) {
            if (e.errno() == Errno.EINVAL) {
                s.error(String.format("Could not find notification semaphore identified by cookie value %d (0x%x)",
                        key, key));
            } else {
                s.error(String.format("Failed to access notification semaphore identified by cookie value %d (0x%x): %s",
                        key, key, e.errno().strerror()));
            }
            return null;
        }
    }
}
