package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TreeFormatTest {

    private static final BlockNames NAMES = new BlockNames(253, Map.of());

    /** top (253:1) uses base (253:0) and loop0; other (253:2) uses loop1; base uses nothing. */
    private static DeviceTree tree(int... listingMinors) throws Exception {
        Map<Integer, DeviceTree.Entry> devices = new HashMap<>();
        devices.put(0, entry("base", 0));
        devices.put(1, entry("top", 1, new int[] {253, 0}, new int[] {7, 0}));
        devices.put(2, entry("other", 2, new int[] {7, 1}));
        DeviceTree tree = new DeviceTree(NAMES, (major, minor) -> devices.get(minor));
        for (int minor : listingMinors) {
            tree.add(253, minor);
        }
        return tree;
    }

    private static DeviceTree.Entry entry(String name, int minor, int[]... dependencies) {
        return new DeviceTree.Entry(name, "U-" + name, Devices.live(name, "U-" + name, minor, 0), List.of(dependencies));
    }

    private static String draw(DeviceTree tree, String options, boolean utf8) {
        TreeFormat.Options parsed = new TreeFormat.Options();
        assertNull(parsed.parse(options, utf8));
        return TreeFormat.draw(tree, NAMES, parsed);
    }

    @Test
    void theObservedAsciiExampleOfSection10_2() throws Exception {
        assertEquals("top (253:1)\n"
                + " |-base (253:0)\n"
                + " `- (7:0)\n"
                + "other (253:2)\n"
                + " `- (7:1)\n", draw(tree(1, 2, 0), null, false));
    }

    @Test
    void utf8LocaleDrawsBoxCharacters() throws Exception {
        assertEquals("top (253:1)\n"
                + " \u251c\u2500base (253:0)\n"
                + " \u2514\u2500 (7:0)\n"
                + "other (253:2)\n"
                + " \u2514\u2500 (7:1)\n", draw(tree(1, 2, 0), null, true));
        assertEquals(draw(tree(1, 2, 0), null, false), draw(tree(1, 2, 0), "ascii", true));
    }

    @Test
    void topLevelFollowsTheListingOrderAndUsedDevicesLeaveTheTopLevel() throws Exception {
        // dmd lists names in byte order: base first, then other, then top, which takes base away from the top.
        assertEquals("other (253:2)\n"
                + " `- (7:1)\n"
                + "top (253:1)\n"
                + " |-base (253:0)\n"
                + " `- (7:0)\n", draw(tree(0, 2, 1), null, false));
    }

    @Test
    void invertedShowsWhatUsesEachDevice() throws Exception {
        assertEquals("base (253:0)\n"
                + " `-top (253:1)\n"
                + " (7:0)\n"
                + " `-top (253:1)\n"
                + " (7:1)\n"
                + " `-other (253:2)\n", draw(tree(1, 2, 0), "inverted", false));
    }

    @Test
    void attributesAndBlockDeviceNames() throws Exception {
        assertEquals("top <dm-1> (253:1) [ACTIVE, RW, 0, U-top]\n"
                + " |-base <dm-0> (253:0) [ACTIVE, RW, 0, U-base]\n"
                + " `- <loop0> (7:0)\n"
                + "other <dm-2> (253:2) [ACTIVE, RW, 0, U-other]\n"
                + " `- <loop1> (7:1)\n", draw(tree(1, 2, 0), "blkdevname,active,rw,open,uuid", false));
    }

    @Test
    void withoutDeviceNumbersUnnamedDevicesAreLeftOut() throws Exception {
        assertEquals("top\n |-base\nother\n", draw(tree(1, 2, 0), "nodevice", false));
    }

    @Test
    void compactPutsChildrenOnTheParentsLine() throws Exception {
        assertEquals("top (253:1)-+-base (253:0)\n"
                + "            `- (7:0)\n"
                + "other (253:2)--- (7:1)\n", draw(tree(1, 2, 0), "compact", false));
    }

    @Test
    void optionWordsMayBeAbbreviatedAndUnknownOnesAreReturned() {
        TreeFormat.Options options = new TreeFormat.Options();
        assertNull(options.parse("inv,no,act", false));
        assertEquals("bogus,rw", new TreeFormat.Options().parse("active,bogus,rw", false));
    }

    @Test
    void longLinesAreCutAtTheWidthWithDots() throws Exception {
        DeviceTree tree = new DeviceTree(NAMES, (major, minor) -> minor == 0
                ? entry("a-very-long-device-name", 0) : entry("abcdefghijkl", 1));
        tree.add(253, 0);
        tree.add(253, 1);
        TreeFormat.Options options = new TreeFormat.Options();
        options.parse(null, false);
        options.width = 20;
        // 19 characters and "..." for a longer line; a line of exactly 20 is kept whole.
        assertEquals("a-very-long-device-...\nabcdefghijkl (253:1)\n", TreeFormat.draw(tree, NAMES, options));
        options.truncate = false;
        assertEquals("a-very-long-device-name (253:0)\nabcdefghijkl (253:1)\n", TreeFormat.draw(tree, NAMES, options));
    }
}
