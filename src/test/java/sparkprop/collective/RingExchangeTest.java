package sparkprop.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The driver's side of the ring, driven by scripted message sequences: membership decided once all
 * have joined, the reporter's steps taken in order, and what is refused (late, duplicated,
 * reordered, from a dead launch, from another member or from outside) without changing anything.
 * A reply handle is the member's name.
 */
class RingExchangeTest {
    static final Token TOKEN = MessageTest.TOKEN;

    RingExchange<String> exchange = new RingExchange<>(TOKEN, 3);

    List<Action<String>> receive(String who, Message m) {
        return exchange.receive(m, who);
    }

    void formRing() {
        int launch = exchange.launch();
        assertEquals(List.of(), receive("m0", new Message.Join(TOKEN, launch, 0, "a:1")));
        assertEquals(List.of(), receive("m2", new Message.Join(TOKEN, launch, 2, "c:3")));
        Message.Ring ring = new Message.Ring(List.of("a:1", "b:2", "c:3"), AllReduce.RING);
        assertEquals(List.of(new Action.Send<>("m0", ring), new Action.Send<>("m1", ring), new Action.Send<>("m2", ring)),
                receive("m1", new Message.Join(TOKEN, launch, 1, "b:2")),
                "each member hears every member's address once all have joined, in any order; three members run the ring");
    }

    static Message.Report report(int launch, int member, long step, byte[] state) {
        return new Message.Report(TOKEN, launch, member, step, new byte[]{(byte) step}, state);
    }

    @Test
    void theReportersStepsAreTakenInOrderWithTheStateWhereItCame() {
        formRing();
        List<Action<String>> first = receive("r", report(0, 0, 40, new byte[0]));
        assertEquals(2, first.size());
        Action.Reported<String> reported = (Action.Reported<String>) first.get(0);
        assertEquals(40, reported.step());
        assertArrayEquals(new byte[]{40}, reported.totals());
        assertEquals(0, reported.state().length);
        assertEquals(new Action.Send<>("r", new Message.Ack()), first.get(1));
        Action.Reported<String> withState = (Action.Reported<String>) receive("r", report(0, 0, 41, new byte[]{7, 7})).get(0);
        assertArrayEquals(new byte[]{7, 7}, withState.state());
    }

    @Test
    void lateDuplicatedReorderedAndForeignMessagesAreRefusedAndChangeNothing() {
        receive("m0", new Message.Join(TOKEN, 0, 0, "a:1"));
        assertRefused(receive("x", new Message.Join(TOKEN, 0, 0, "a:9")), "member 0 joined twice");
        assertRefused(receive("x", report(0, 0, 0, new byte[0])), "a report of step 0 before every member joined");
        receive("m1", new Message.Join(TOKEN, 0, 1, "b:2"));
        assertRefused(receive("x", new Message.Join(TOKEN, 0, 3, "d:4")), "no member 3 in a ring of 3");
        receive("m2", new Message.Join(TOKEN, 0, 2, "c:3"));
        assertRefused(receive("x", report(0, 1, 0, new byte[0])), "member 1 reported; only member 0 does");
        assertRefused(receive("x", new Message.Report(new Token(1, 2), 0, 0, 0, new byte[0], new byte[0])), "refused: not a task of this run");
        assertRefused(receive("x", new Message.Ready(TOKEN, 0, 0)), "refused: Ready is not a message for the ring's driver");
        assertTrue(receive("r", report(0, 0, 5, new byte[0])).get(0) instanceof Action.Reported);
        assertRefused(receive("x", report(0, 0, 5, new byte[0])), "a report of step 5 after step 5");
        assertRefused(receive("x", report(0, 0, 7, new byte[0])), "a report of step 7 after step 5");
        assertTrue(receive("r", report(0, 0, 6, new byte[0])).get(0) instanceof Action.Reported, "the next step is still taken");
    }

    @Test
    void aRelaunchRefusesTheDeadLaunchAndStartsAgainFromAnyStep() {
        receive("m0", new Message.Join(TOKEN, 0, 0, "a:1"));
        assertEquals(List.of(new Action.Refuse<>("m0", "the stage was replaced by launch 1")), exchange.relaunch(), "a waiting join fails");
        assertRefused(receive("x", new Message.Join(TOKEN, 0, 1, "b:2")), "the stage of launch 0 was replaced by launch 1");
        assertRefused(receive("x", report(0, 0, 3, new byte[0])), "the stage of launch 0 was replaced by launch 1");
        formRing();
        receive("r", report(1, 0, 3, new byte[0]));
        exchange.relaunch();
        formRing();
        assertTrue(receive("r", report(2, 0, 2, new byte[0])).get(0) instanceof Action.Reported,
                "a new launch starts from the state it was given, before the old launch's last step");
    }

    /** After task slots were lost for good, a launch has fewer members: membership is decided for them alone; never more than made for. */
    @Test
    void aRelaunchWithFewerMembersFormsTheSmallerRing() {
        formRing();
        exchange.relaunch(2);
        assertEquals(List.of(), receive("m1", new Message.Join(TOKEN, 1, 1, "b:2")));
        Message.Ring two = new Message.Ring(List.of("a:1", "b:2"), AllReduce.RING);
        assertEquals(List.of(new Action.Send<>("m0", two), new Action.Send<>("m1", two)), receive("m0", new Message.Join(TOKEN, 1, 0, "a:1")));
        assertRefused(receive("x", new Message.Join(TOKEN, 1, 2, "c:3")), "no member 2 in a ring of 2");
        assertTrue(receive("r", report(1, 0, 9, new byte[0])).get(0) instanceof Action.Reported);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> exchange.relaunch(4));
        exchange.relaunch(3);
        formRing();
    }

    /** The driver decides how the members add their sums: halving-doubling for a power of two of at least 4, unless set to the ring. */
    @Test
    void fourMembersAreToldToHalveAndDoubleUnlessTheSettingSaysRing() {
        for (String setting : new String[]{"auto", "halving-doubling", "ring"}) {
            RingExchange<String> four = new RingExchange<>(TOKEN, 4, setting);
            List<Action<String>> told = List.of();
            for (int m = 0; m < 4; m++) told = four.receive(new Message.Join(TOKEN, 0, m, "h:" + m), "m" + m);
            AllReduce expected = setting.equals("ring") ? AllReduce.RING : AllReduce.HALVING_DOUBLING;
            assertEquals(new Message.Ring(List.of("h:0", "h:1", "h:2", "h:3"), expected), ((Action.Send<String>) told.get(0)).message(), setting);
            // Three left after a loss: not a power of two, so the ring whatever the setting.
            four.relaunch(3);
            for (int m = 0; m < 3; m++) told = four.receive(new Message.Join(TOKEN, 1, m, "h:" + m), "m" + m);
            assertEquals(AllReduce.RING, ((Message.Ring) ((Action.Send<String>) told.get(0)).message()).allReduce(), setting);
        }
        // Auto: halving-doubling for a power of two, the ring elsewhere, direct only where asked for.
        assertEquals(AllReduce.HALVING_DOUBLING, AllReduce.of("auto", 8));
        assertEquals(AllReduce.RING, AllReduce.of("auto", 12));
        assertEquals(AllReduce.DIRECT, AllReduce.of("direct", 12));
        // Direct where it is asked for, at any count.
        RingExchange<String> direct = new RingExchange<>(TOKEN, 4, "direct");
        List<Action<String>> told = List.of();
        for (int m = 0; m < 4; m++) told = direct.receive(new Message.Join(TOKEN, 0, m, "h:" + m), "m" + m);
        assertEquals(AllReduce.DIRECT, ((Message.Ring) ((Action.Send<String>) told.get(0)).message()).allReduce());
        direct.relaunch(3);
        for (int m = 0; m < 3; m++) told = direct.receive(new Message.Join(TOKEN, 1, m, "h:" + m), "m" + m);
        assertEquals(AllReduce.DIRECT, ((Message.Ring) ((Action.Send<String>) told.get(0)).message()).allReduce());
        assertEquals("tree: expected auto, ring, halving-doubling or direct",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new RingExchange<>(TOKEN, 4, "tree")).getMessage());
    }

    @Test
    void aRingOfOneHasNoNeighbourAndClosingFailsWaitingJoins() {
        RingExchange<String> alone = new RingExchange<>(TOKEN, 1);
        assertEquals(List.of(new Action.Send<>("m0", Message.Ring.alone())), alone.receive(new Message.Join(TOKEN, 0, 0, ""), "m0"));
        receive("m0", new Message.Join(TOKEN, 0, 0, "a:1"));
        assertEquals(List.of(new Action.Refuse<>("m0", "the run ended")), exchange.close());
    }

    static void assertRefused(List<Action<String>> actions, String why) {
        assertEquals(List.of(new Action.Refuse<>("x", why)), actions);
    }
}
