/** Numbers fixed by the OpenPAYGO Token specification (EnAccess OpenPAYGO-python / OpenPAYGO-HW). */

/** Highest number of days an ADD_TIME / SET_TIME standard token can carry. */
export const MAX_ACTIVATION_VALUE = 995;
/** Highest number of days an extended token can carry (998 and 999 stay reserved, see below). */
export const MAX_ACTIVATION_VALUE_EXTENDED = 999_999;
/** Value of a DISABLE_PAYG token (unlocks the device for good). */
export const PAYG_DISABLE_VALUE = 998;
/** Value of a COUNTER_SYNC token (resynchronises the count, wider search window). */
export const COUNTER_SYNC_VALUE = 999;

/** How far past the device's last count the decoder searches. */
export const MAX_TOKEN_JUMP = 64;
/** Search distance for COUNTER_SYNC tokens, which exist to recover a device that fell behind. */
export const MAX_TOKEN_JUMP_COUNTER_SYNC = 100;
/** An unused ADD_TIME token is still accepted while its count is within this many of the last count. */
export const MAX_UNUSED_OLDER_TOKENS = 16;

/**
 * Counts are uint16 on reference devices (OpenPAYGO-HW `uint16_t LastCount`). The cap also bounds
 * decoding work: the decoder walks the hash chain from count 0, one SipHash per step.
 */
export const MAX_COUNT = 0xffff;

/** Starting codes are 9-digit numbers (they must fit the 32-bit chain input). */
export const MAX_STARTING_CODE = 999_999_999;
