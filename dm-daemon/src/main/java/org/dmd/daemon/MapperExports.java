package org.dmd.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.DeviceIo;

/** The devices of one {@link DeviceMapper} as NBD exports. Stateless; thread-safe as the core is. */
final class MapperExports implements NbdExports {

    private final DeviceMapper mapper;

    MapperExports(DeviceMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public Export open(String name) throws DmException {
        if (name.isEmpty()) {
            throw new DmException(Errno.ENXIO, "dmd has no default export: name a device");
        }
        OpenDevice open = mapper.blockOpen(new Requests.BlockOpen(name, null, null));
        try {
            DeviceIo io = open.io();
            if (io.size() == 0) {
                throw new DmException(Errno.ENXIO, "device %s has no live table", name);
            }
            return new Opened(name, open, io);
        } catch (DmException | RuntimeException e) {
            open.close();
            throw e;
        }
    }

    @Override
    public List<String> list() {
        List<String> names = new ArrayList<>();
        for (Replies.NameEntry entry : mapper.listDevices(new Requests.ListDevices(null, null, Set.of())).devices()) {
            try {
                Replies.DeviceInfo info = mapper.devStatus(new Requests.DevStatus(entry.name(), null, null, Set.of()));
                if (info.flags().contains(DmFlag.ACTIVE_PRESENT)) {
                    names.add(entry.name());
                }
            } catch (DmException e) {
                // Removed since the listing: not an export.
            }
        }
        return names;
    }

    private record Opened(String name, OpenDevice open, DeviceIo io) implements Export {

        @Override
        public String description() {
            return "dmd device " + name + " (" + open.device().number() + ")" + (io.readOnly() ? ", read-only" : "");
        }

        @Override
        public CompletableFuture<Void> gone() {
            return open.gone();
        }

        @Override
        public void close() {
            open.close();
        }
    }
}
