/* Shared between virtio_mem.c (state, config, host side) and virtio_mem_req.c
 * (guest requests). Every function here expects vm->lock to be held. */
#ifndef PLUGVM_VIRTIO_MEM_INTERNAL_H
#define PLUGVM_VIRTIO_MEM_INTERNAL_H

#include "virtio/virtio_mem.h"

/* plugged_size changed: new ConfigGeneration (no interrupt, §5.15.4.2) and
 * the host's callback. */
void virtio_mem_plugged_changed_locked(struct virtio_mem *vm);

/* Every block unplugged and discarded; the usable region shrinks to fit
 * requested_size. */
void virtio_mem_unplug_all_locked(struct virtio_mem *vm);

#endif
