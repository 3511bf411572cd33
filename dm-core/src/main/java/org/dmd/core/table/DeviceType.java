package org.dmd.core.table;

/** The queue type a device takes from its first table (the kernel's DM_TYPE_*). */
public enum DeviceType {
    NONE, BIO_BASED, REQUEST_BASED
}
