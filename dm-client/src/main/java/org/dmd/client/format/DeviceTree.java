package org.dmd.client.format;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * libdm's dependency tree (dm_tree) as dmsetup builds it for {@code ls --tree} and the tree report
 * fields: a root node 0:0; every listed device linked under the root unless something already
 * uses it; dependencies linked under their users (a device found to be used leaves the top level);
 * leaves linked back to the root ("bottom level"), which is what the inverted view walks.
 *
 * <p>The order of every list is the order of linking, as in libdm, so the drawing follows the
 * order of the device listing and of the kernel's dependency lists. Not thread-safe.
 */
public final class DeviceTree {

    /** What the tree needs to know about one device: its identity, its status, and what it uses. */
    public record Entry(String name, String uuid, DmInfo info, List<int[]> dependencies) {
    }

    /** Looks a mapped device up by number (TABLE_DEPS by dev); null if it does not exist. */
    @FunctionalInterface
    public interface Lookup {
        Entry find(int major, int minor) throws Exception;
    }

    /** One node: a mapped device, or another block device (no name, no info). */
    public static final class Node {
        final int major;
        final int minor;
        final String name;
        final String uuid;
        final DmInfo info;
        final List<Node> uses = new ArrayList<>();
        final List<Node> usedBy = new ArrayList<>();

        Node(int major, int minor, String name, String uuid, DmInfo info) {
            this.major = major;
            this.minor = minor;
            this.name = name;
            this.uuid = uuid;
            this.info = info;
        }

        public int major() {
            return major;
        }

        public int minor() {
            return minor;
        }

        /** The device-mapper name ("" for other block devices and the root). */
        public String name() {
            return name;
        }

        public String uuid() {
            return uuid;
        }

        /** Null unless this is an existing mapped device. */
        public DmInfo info() {
            return info;
        }
    }

    private final Node root = new Node(0, 0, "", "", null);
    private final Map<Long, Node> nodes = new HashMap<>();
    private final BlockNames blockNames;
    private final Lookup lookup;

    public DeviceTree(BlockNames blockNames, Lookup lookup) {
        this.blockNames = blockNames;
        this.lookup = lookup;
        nodes.put(key(0, 0), root);
    }

    public Node root() {
        return root;
    }

    public Node find(int major, int minor) {
        return nodes.get(key(major, minor));
    }

    /** dm_tree_add_dev: adds a listed device and, recursively, what it uses. */
    public void add(int major, int minor) throws Exception {
        addUnder(root, major, minor);
    }

    private void addUnder(Node parent, int major, int minor) throws Exception {
        Node node = find(major, minor);
        boolean created = node == null;
        List<int[]> dependencies = List.of();
        if (created) {
            Entry entry = blockNames.isMapped(major) ? lookup.find(major, minor) : null;
            node = entry == null ? new Node(major, minor, "", "", null)
                    : new Node(major, minor, entry.name(), entry.uuid(), entry.info());
            if (entry != null && entry.dependencies() != null) {
                dependencies = entry.dependencies();
            }
            nodes.put(key(major, minor), node);
        }
        linkTreeNodes(parent, node);
        if (!created) {
            return;
        }
        if (node.info == null || dependencies.isEmpty()) {
            link(node, root);
            return;
        }
        for (int[] dependency : dependencies) {
            addUnder(node, dependency[0], dependency[1]);
        }
    }

    private void linkTreeNodes(Node parent, Node child) {
        if (parent == root) {
            if (childCount(child, true) > 0) {
                return; // already used by something: not a top-level device
            }
        } else {
            unlink(root, child);
        }
        unlink(parent, root);
        link(parent, child);
    }

    /** dm_tree_node_num_children: users (inverted) or dependencies, 0 at the top or bottom level. */
    public int childCount(Node node, boolean inverted) {
        if (inverted) {
            return linked(root, node) ? 0 : node.usedBy.size();
        }
        return linked(node, root) ? 0 : node.uses.size();
    }

    /** Children in drawing order: dependencies, or users when inverted. */
    public List<Node> children(Node node, boolean inverted) {
        return inverted ? node.usedBy : node.uses;
    }

    private static boolean linked(Node parent, Node child) {
        return parent.uses.contains(child);
    }

    private static void link(Node parent, Node child) {
        if (!linked(parent, child)) {
            parent.uses.add(child);
            child.usedBy.add(parent);
        }
    }

    private static void unlink(Node parent, Node child) {
        if (linked(parent, child)) {
            parent.uses.remove(child);
            child.usedBy.remove(parent);
        }
    }

    private static long key(int major, int minor) {
        return ((long) major << 32) | (minor & 0xFFFF_FFFFL);
    }
}
