package org.dmd.core.target;

/** A range of an underlying device that a target maps ({@code iterate_devices}), in sectors. */
public record DeviceArea(TableDevice device, long start, long length) {
}
