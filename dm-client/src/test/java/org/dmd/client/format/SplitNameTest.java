package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SplitNameTest {

    @Test
    void doubledHyphensAreHyphensAndSingleOnesSeparate() {
        assertEquals(new SplitName("LVM", "vg", "lv-x", "layer"), SplitName.of("LVM", "vg-lv--x-layer"));
        assertEquals(new SplitName("LVM", "a", "b", "c"), SplitName.of("LVM", "a-b-c-d"));
        assertEquals(new SplitName("LVM", "", "a", ""), SplitName.of("LVM", "-a"));
        assertEquals(new SplitName("LVM", "vg-", "", ""), SplitName.of("LVM", "vg-"));
    }

    @Test
    void onlyLvmNamesAreSplit() {
        assertEquals(new SplitName("XX", "", "", ""), SplitName.of("XX", "a-b"));
        assertEquals(new SplitName("LVM", "vg", "lv", ""), SplitName.ofDevice("LVM-xyz", "vg-lv"));
        assertEquals(new SplitName("", "", "", ""), SplitName.ofDevice("nodash", "vg-lv"));
    }
}
