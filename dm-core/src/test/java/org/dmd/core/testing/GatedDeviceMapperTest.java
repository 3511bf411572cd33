package org.dmd.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.NameEntry;
import org.dmd.core.device.OpenDevice;
import org.junit.jupiter.api.AfterEach;

/**
 * Base of race tests: a fresh {@link DeviceMapper} whose lifecycle steps go through a
 * {@link StepGate}, closed after each test (releasing any parked thread and failing the test if a
 * parked thread timed out), event recorders closed after each test, plus the few calls every race
 * test makes. A test that needs other
 * settings (a module policy, injected module faults) calls {@link #restart} first.
 */
public abstract class GatedDeviceMapperTest {

    protected final StepGate gate = new StepGate();
    /** Recorders {@link #recordEvents} started; closed after the test. */
    private final List<EventRecorder> recorders = new ArrayList<>();
    /** The DeviceMapper under test; replaced only by {@link #restart}, before the test uses it. */
    protected DeviceMapper dm = DeviceMapper.builder().steps(gate).build();

    /**
     * Replaces {@link #dm} with one built on the same gate with {@code settings} applied, e.g.
     * {@code restart(b -> b.modulePolicy(...).moduleFaults(...))}. Call it before using {@code dm}.
     */
    protected DeviceMapper restart(UnaryOperator<DeviceMapper.Builder> settings) {
        dm.close();
        dm = settings.apply(DeviceMapper.builder().steps(gate)).build();
        return dm;
    }

    /** Records the events of {@link #dm} from now on; the recorder is closed after the test. */
    protected EventRecorder recordEvents() {
        EventRecorder recorder = EventRecorder.on(dm);
        recorders.add(recorder);
        return recorder;
    }

    @AfterEach
    void closeGate() throws Exception {
        try {
            for (EventRecorder recorder : recorders) {
                recorder.close();
            }
        } finally {
            try {
                gate.close();
            } finally {
                dm.close();
            }
        }
    }

    /** Creates a device that must be created; returns its status. */
    protected DeviceInfo create(String name) {
        return Outcome.of(() -> dm.devCreate(TestRequests.create(name))).value();
    }

    /** DEV_STATUS by name. */
    protected Outcome<DeviceInfo> status(String name) {
        return Outcome.of(() -> dm.devStatus(TestRequests.status(name)));
    }

    /** DEV_STATUS by {@code MAJ:MIN}. */
    protected Outcome<DeviceInfo> statusByDev(String dev) {
        return Outcome.of(() -> dm.devStatus(TestRequests.statusByDev(dev)));
    }

    /** Opens a device that must open. */
    protected OpenDevice open(String name) {
        return Outcome.of(() -> dm.blockOpen(TestRequests.open(name))).value();
    }

    /** The names listed by LIST_DEVICES, in order. */
    protected List<String> names() {
        return dm.listDevices(TestRequests.list()).devices().stream().map(NameEntry::name).toList();
    }

    /** The device number {@code MAJ:MIN} of a minor of this DeviceMapper. */
    protected String dev(int minor) {
        return dm.major() + ":" + minor;
    }
}
