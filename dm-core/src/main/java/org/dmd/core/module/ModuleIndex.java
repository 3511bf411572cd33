package org.dmd.core.module;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The module database kmod reads (written by depmod, read by libkmod): {@code modules.dep},
 * {@code modules.alias}, {@code modules.builtin}, {@code modules.softdep} and the
 * {@code modprobe.d/*.conf} configuration, in the kernel's text formats. Immutable.
 *
 * <p>Supported configuration commands: {@code alias}, {@code blacklist}, {@code options},
 * {@code softdep}. {@code install}/{@code remove} (shell commands) are rejected, as are
 * {@code modules.symbols} lookups and line continuations, which dmd does not model.
 */
public final class ModuleIndex {

    /** Where the shipped index claims to live, for kmod's messages. */
    private static final String SHIPPED_LOCATION = "/lib/modules/dmd";
    private static final String[] SHIPPED_CONFIG = {"modprobe.d/dmd.conf"};

    /** A {@code modules.dep} line: the module's file and its dependencies in load order (deepest first). */
    record Dependency(String path, List<String> dependencies) {
    }

    /** An alias pattern (normalised) and the module it names. */
    record Alias(String pattern, String module) {
    }

    /** A softdep: modules to load before and after those matching {@code pattern}. */
    record Softdep(String pattern, List<String> pre, List<String> post) {
    }

    private final String location;
    /** modules.dep by canonical module name, in file order. */
    private final Map<String, Dependency> modules;
    private final Map<String, String> moduleByPath;
    private final List<Alias> aliases;
    private final List<String> builtins;
    private final List<Alias> configAliases;
    /** Configuration softdeps first, then modules.softdep; the first match wins, as in kmod. */
    private final List<Softdep> softdeps;
    private final Set<String> blacklist;
    private final Map<String, String> options;

    private ModuleIndex(Parser parser) {
        this.location = parser.location;
        this.modules = Collections.unmodifiableMap(parser.modules);
        Map<String, String> byPath = new HashMap<>();
        parser.modules.forEach((name, dep) -> byPath.put(dep.path(), name));
        this.moduleByPath = Map.copyOf(byPath);
        this.aliases = List.copyOf(parser.aliases);
        this.builtins = List.copyOf(parser.builtins);
        this.configAliases = List.copyOf(parser.configAliases);
        List<Softdep> allSoftdeps = new ArrayList<>(parser.configSoftdeps);
        allSoftdeps.addAll(parser.softdeps);
        this.softdeps = List.copyOf(allSoftdeps);
        this.blacklist = Set.copyOf(parser.blacklist);
        Map<String, String> joined = new HashMap<>();
        parser.options.forEach((name, list) -> joined.put(name, String.join(" ", list)));
        this.options = Map.copyOf(joined);
    }

    /**
     * Loads an index from a directory laid out like {@code /lib/modules/VERSION}: {@code modules.dep}
     * is required; {@code modules.alias}, {@code modules.builtin}, {@code modules.softdep} and
     * {@code modprobe.d/*.conf} (in name order) are read if present.
     *
     * @throws DmException ENOENT if {@code modules.dep} is missing; EINVAL naming the file and line
     *                     of a malformed line, or the file that is not UTF-8; EIO if a file cannot be read
     */
    public static ModuleIndex load(Path dir) throws DmException {
        Parser parser = new Parser(dir.toString());
        parser.modulesDep(read(dir.resolve("modules.dep"), true));
        parser.modulesAlias(read(dir.resolve("modules.alias"), false));
        parser.modulesBuiltin(read(dir.resolve("modules.builtin"), false));
        parser.modulesSoftdep(read(dir.resolve("modules.softdep"), false));
        Path config = dir.resolve("modprobe.d");
        if (Files.isDirectory(config)) {
            List<Path> files;
            try (Stream<Path> entries = Files.list(config)) {
                files = entries.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted().collect(Collectors.toList());
            } catch (IOException e) {
                throw new DmException(Errno.EIO, "cannot list %s: %s", config, e.getMessage());
            }
            for (Path file : files) {
                parser.config(read(file, true));
            }
        }
        return parser.finish();
    }

    /**
     * The index shipped with dmd: built-in {@code dm-mod} and the loadable modules dmd implements
     * (drivers/md's modules).
     *
     * @throws IllegalStateException if the shipped resources are broken (a build defect)
     */
    public static ModuleIndex shipped() {
        return Shipped.INDEX;
    }

    /** The directory this index describes, as kmod's messages name it. */
    public String location() {
        return location;
    }

    /** Canonical names of the loadable modules, in {@code modules.dep} order. */
    public List<String> loadableModules() {
        return List.copyOf(modules.keySet());
    }

    /** Canonical names of the built-in modules, in {@code modules.builtin} order. */
    public List<String> builtinModules() {
        return builtins;
    }

    boolean isModule(String name) {
        return modules.containsKey(name);
    }

    Optional<String> pathOf(String name) {
        Dependency dep = modules.get(name);
        return dep == null ? Optional.empty() : Optional.of(dep.path());
    }

    Optional<String> moduleOfPath(String path) {
        return Optional.ofNullable(moduleByPath.get(path));
    }

    /** A module's modules.dep dependencies in load order (deepest first); empty if it has none or is unknown. */
    List<String> dependencies(String name) {
        Dependency dep = modules.get(name);
        return dep == null ? List.of() : dep.dependencies();
    }

    boolean isBuiltin(String name) {
        return builtins.contains(name);
    }

    /** Modules named by configuration aliases matching a normalised name. */
    List<String> configAliasTargets(String name) {
        return matching(configAliases, name);
    }

    /** Modules named by modules.alias patterns matching a normalised name. */
    List<String> aliasTargets(String name) {
        return matching(aliases, name);
    }

    Optional<Softdep> softdep(String name) {
        for (Softdep softdep : softdeps) {
            if (ModuleNames.matches(softdep.pattern(), name)) {
                return Optional.of(softdep);
            }
        }
        return Optional.empty();
    }

    boolean blacklisted(String name) {
        return blacklist.contains(name);
    }

    /** The configured options of a module, space-separated; empty if none. */
    String options(String name) {
        return options.getOrDefault(name, "");
    }

    private static List<String> matching(List<Alias> aliases, String name) {
        List<String> targets = new ArrayList<>();
        for (Alias alias : aliases) {
            if (ModuleNames.matches(alias.pattern(), name) && !targets.contains(alias.module())) {
                targets.add(alias.module());
            }
        }
        return targets;
    }

    private static Source read(Path file, boolean required) throws DmException {
        try {
            return new Source(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (CharacterCodingException e) {
            // depmod writes module paths and names, which are ASCII: such a file is malformed, not unreadable.
            throw new DmException(Errno.EINVAL, "%s: not UTF-8 text", file);
        } catch (NoSuchFileException e) {
            if (required) {
                throw new DmException(Errno.ENOENT, "%s: No such file or directory", file);
            }
            return new Source(file.toString(), List.of());
        } catch (IOException e) {
            throw new DmException(Errno.EIO, "cannot read %s: %s", file, e.getMessage());
        }
    }

    /** The lines of one index file and the name its errors carry. */
    private record Source(String name, List<String> lines) {

        /** The lines that say something, trimmed: every index file skips blank lines and {@code #} comments. */
        List<Line> significantLines() {
            List<Line> significant = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String text = lines.get(i).trim();
                if (!text.isEmpty() && !text.startsWith("#")) {
                    significant.add(new Line(this, i + 1, text));
                }
            }
            return significant;
        }
    }

    /** One significant line of an index file: its 1-based number and trimmed text. */
    private record Line(Source source, int number, String text) {

        /** The line's words (never empty: a significant line has one at least). */
        List<String> words() {
            return ModuleIndex.words(text);
        }

        /** EINVAL naming the file and line. */
        DmException error(String why) {
            return new DmException(Errno.EINVAL, "%s:%d: %s", source.name(), number, why);
        }
    }

    private static List<String> words(String text) {
        String trimmed = text.trim();
        return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
    }

    /** Accumulates the files of one index; not thread-safe, used by one loading thread. */
    private static final class Parser {
        final String location;
        final Map<String, Dependency> modules = new LinkedHashMap<>();
        final List<Alias> aliases = new ArrayList<>();
        final List<String> builtins = new ArrayList<>();
        final List<Softdep> softdeps = new ArrayList<>();
        final List<Alias> configAliases = new ArrayList<>();
        final List<Softdep> configSoftdeps = new ArrayList<>();
        final Set<String> blacklist = new HashSet<>();
        final Map<String, List<String>> options = new HashMap<>();

        Parser(String location) {
            this.location = location;
        }

        void modulesDep(Source source) throws DmException {
            Map<String, Line> lineOf = new HashMap<>();
            Map<String, List<String>> depPaths = new LinkedHashMap<>();
            for (Line line : source.significantLines()) {
                int colon = line.text().indexOf(':');
                if (colon <= 0) {
                    throw line.error("expected '<module path>: <dependency paths>'");
                }
                String path = line.text().substring(0, colon).trim();
                String name = ModuleNames.ofPath(path);
                if (lineOf.putIfAbsent(name, line) != null) {
                    throw line.error("module " + name + " is listed twice");
                }
                depPaths.put(path, words(line.text().substring(colon + 1)));
            }
            for (Map.Entry<String, List<String>> e : depPaths.entrySet()) {
                List<String> loadOrder = new ArrayList<>();
                for (String depPath : e.getValue()) {
                    if (!depPaths.containsKey(depPath)) {
                        throw lineOf.get(ModuleNames.ofPath(e.getKey()))
                                .error("dependency " + depPath + " has no line of its own");
                    }
                    loadOrder.add(ModuleNames.ofPath(depPath));
                }
                // depmod lists a module before what it depends on: load right to left.
                Collections.reverse(loadOrder);
                modules.put(ModuleNames.ofPath(e.getKey()), new Dependency(e.getKey(), List.copyOf(loadOrder)));
            }
        }

        void modulesAlias(Source source) throws DmException {
            for (Line line : source.significantLines()) {
                List<String> words = line.words();
                if (words.size() != 3 || !words.get(0).equals("alias")) {
                    throw line.error("expected 'alias <pattern> <module>'");
                }
                aliases.add(alias(line, words));
            }
        }

        void modulesBuiltin(Source source) throws DmException {
            for (Line line : source.significantLines()) {
                if (line.words().size() != 1) {
                    throw line.error("expected one module path per line");
                }
                String name = ModuleNames.ofPath(line.text());
                if (modules.containsKey(name)) {
                    throw line.error("module " + name + " is both built in and loadable (in modules.dep)");
                }
                if (!builtins.contains(name)) {
                    builtins.add(name);
                }
            }
        }

        void modulesSoftdep(Source source) throws DmException {
            for (Line line : source.significantLines()) {
                List<String> words = line.words();
                if (!words.get(0).equals("softdep")) {
                    throw line.error("expected 'softdep <module> pre: <modules> post: <modules>'");
                }
                softdeps.add(softdep(line, words));
            }
        }

        void config(Source source) throws DmException {
            for (Line line : source.significantLines()) {
                List<String> words = line.words();
                switch (words.get(0)) {
                    case "alias":
                        if (words.size() != 3) {
                            throw line.error("expected 'alias <pattern> <module>'");
                        }
                        configAliases.add(alias(line, words));
                        break;
                    case "blacklist":
                        if (words.size() != 2) {
                            throw line.error("expected 'blacklist <module>'");
                        }
                        blacklist.add(ModuleNames.canonical(words.get(1)));
                        break;
                    case "options":
                        if (words.size() < 3) {
                            throw line.error("expected 'options <module> <option>...'");
                        }
                        options.computeIfAbsent(ModuleNames.canonical(words.get(1)), k -> new ArrayList<>())
                                .add(String.join(" ", words.subList(2, words.size())));
                        break;
                    case "softdep":
                        configSoftdeps.add(softdep(line, words));
                        break;
                    case "install":
                    case "remove":
                        throw line.error("'" + words.get(0) + "' commands run shell commands, which dmd does not support");
                    default:
                        throw line.error("unknown command '" + words.get(0)
                                + "' (supported: alias, blacklist, options, softdep)");
                }
            }
        }

        ModuleIndex finish() {
            return new ModuleIndex(this);
        }

        private static Alias alias(Line line, List<String> words) throws DmException {
            try {
                return new Alias(ModuleNames.alias(words.get(1)), ModuleNames.canonical(words.get(2)));
            } catch (DmException e) {
                throw line.error(e.getMessage());
            }
        }

        private static Softdep softdep(Line line, List<String> words) throws DmException {
            if (words.size() < 3) {
                throw line.error("expected 'softdep <module> pre: <modules> post: <modules>'");
            }
            List<String> pre = new ArrayList<>();
            List<String> post = new ArrayList<>();
            List<String> current = null;
            for (String word : words.subList(2, words.size())) {
                if (word.equals("pre:")) {
                    current = pre;
                } else if (word.equals("post:")) {
                    current = post;
                } else if (current == null) {
                    throw line.error("softdep module '" + word + "' before 'pre:' or 'post:'");
                } else {
                    current.add(word);
                }
            }
            return new Softdep(ModuleNames.canonical(words.get(1)), List.copyOf(pre), List.copyOf(post));
        }
    }

    /** The shipped index, parsed once on first use. */
    private static final class Shipped {
        static final ModuleIndex INDEX = parse();

        private static ModuleIndex parse() {
            try {
                Parser parser = new Parser(SHIPPED_LOCATION);
                parser.modulesDep(resource("modules.dep"));
                parser.modulesAlias(resource("modules.alias"));
                parser.modulesBuiltin(resource("modules.builtin"));
                parser.modulesSoftdep(resource("modules.softdep"));
                for (String config : SHIPPED_CONFIG) {
                    parser.config(resource(config));
                }
                return parser.finish();
            } catch (DmException e) {
                throw new IllegalStateException("the shipped module index is broken: " + e.getMessage(), e);
            }
        }

        private static Source resource(String name) {
            try (InputStream in = ModuleIndex.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("shipped module index file missing: " + name);
                }
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new Source(SHIPPED_LOCATION + "/" + name, text.lines().collect(Collectors.toList()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
