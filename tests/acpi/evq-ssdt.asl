/*
 * Test-only SSDT for check-dsdt.sh. acpiexec simulates operation regions as
 * plain memory, so these methods play the VMM: they put values into the
 * hotplug registers that plugvm's DSDT then reads (and read back what the
 * DSDT wrote). TQ: next REVQ value; TS: slot status; TM: base, length, PXM;
 * TC: last command; TL: selected slot.
 */
DefinitionBlock ("", "SSDT", 2, "PLUGVM", "EVQTEST", 1)
{
    External (\_SB.MHC0.REVQ, FieldUnitObj)
    External (\_SB.MHC0.RSTA, FieldUnitObj)
    External (\_SB.MHC0.RBLO, FieldUnitObj)
    External (\_SB.MHC0.RBHI, FieldUnitObj)
    External (\_SB.MHC0.RLLO, FieldUnitObj)
    External (\_SB.MHC0.RLHI, FieldUnitObj)
    External (\_SB.MHC0.RPXM, FieldUnitObj)
    External (\_SB.MHC0.RCMD, FieldUnitObj)
    External (\_SB.MHC0.RSEL, FieldUnitObj)
    Method (\TQ, 1, NotSerialized) { \_SB.MHC0.REVQ = Arg0 }
    Method (\TS, 1, NotSerialized) { \_SB.MHC0.RSTA = Arg0 }
    Method (\TM, 3, NotSerialized) {
        \_SB.MHC0.RBLO = Arg0 & 0xFFFFFFFF
        \_SB.MHC0.RBHI = Arg0 >> 32
        \_SB.MHC0.RLLO = Arg1 & 0xFFFFFFFF
        \_SB.MHC0.RLHI = Arg1 >> 32
        \_SB.MHC0.RPXM = Arg2
    }
    Method (\TC, 0, NotSerialized) { Return (\_SB.MHC0.RCMD) }
    Method (\TL, 0, NotSerialized) { Return (\_SB.MHC0.RSEL) }
}
