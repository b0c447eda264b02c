package sparkprop.collective;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The driver's side of the ring ({@link Topology#RING}), as a state machine that returns {@link
 * Action}s, like {@link StepExchange}. In a ring the members run the epoch's steps on their own:
 * they add their sums among themselves ({@link RingMember#allReduce}) and each updates its replica
 * of the state. The driver decides only membership and hears the steps' results.
 *
 * <p>A launch goes: every member {@code Join}s with the address it listens on; once all have,
 * each is told every member's address and the all-reduce to run ({@code Ring}, {@link
 * AllReduce#of}: by default halving-doubling where the launch's members are a power of two of at least 4). Then only the reporter (member 0) talks to the
 * driver: after each step a {@code Report} of its totals, with the state after the step where the
 * driver asked for it, answered by {@code Ack}. Messages without the run's token, of another launch,
 * from another member than the reporter, a second join, a report before the ring is complete or
 * of a step that does not follow the last one are refused with the reason; none changes anything.
 *
 * @param <R> how the caller answers a request (a network reply, or a name in a test)
 */
public final class RingExchange<R> {
    /** The member that reports each step to the driver. */
    public static final int REPORTER = 0;
    private static final long NONE = Long.MIN_VALUE;

    private final Token token;
    /** The all-reduce setting ({@link AllReduce#of}), applied to each launch's member count. */
    private final String allReduce;
    /** This launch's member count: at most the count the exchange was made for, fewer after task slots were lost. */
    private int members;
    private int launch;
    /** This launch: each member's address (null until it joins), its join waiting for the ring, the reporter's last step. */
    private final String[] addresses;
    private final List<R> waiting;
    private int joined;
    private long reported = NONE;

    public RingExchange(Token token, int members) {
        this(token, members, "auto");
    }

    /** @param allReduce how the members add their sums: auto, ring, halving-doubling or direct ({@link AllReduce#of}) */
    public RingExchange(Token token, int members, String allReduce) {
        if (members < 1) throw new IllegalArgumentException("a ring of " + members + " members");
        AllReduce.of(allReduce, members); // refused here, not at the first launch
        this.allReduce = allReduce;
        this.token = token;
        this.members = members;
        this.addresses = new String[members];
        this.waiting = new ArrayList<>(Collections.nCopies(members, null));
    }

    /** The launch whose messages are accepted (0 before the first). */
    public int launch() {
        return launch;
    }

    /** A new launch of the stage: every waiting join of the old one is refused, and its messages from now on. */
    public List<Action<R>> relaunch() {
        return relaunch(members);
    }

    /** The same with {@code members} members (fewer than before when task slots were lost for good, or as many again). */
    public List<Action<R>> relaunch(int members) {
        if (members < 1 || members > addresses.length) throw new IllegalArgumentException(members + " members of at most " + addresses.length);
        List<Action<R>> actions = refuseWaiting("the stage was replaced by launch " + (launch + 1));
        this.members = members;
        launch++;
        java.util.Arrays.fill(addresses, null);
        joined = 0;
        reported = NONE;
        return actions;
    }

    /** The members of this launch that have not joined yet. */
    public List<Integer> missing() {
        List<Integer> out = new ArrayList<>();
        for (int m = 0; m < members; m++) if (addresses[m] == null) out.add(m);
        return out;
    }

    /** The run is over: every waiting join fails. */
    public List<Action<R>> close() {
        return refuseWaiting("the run ended");
    }

    /** What to do about {@code message}, which arrived with the reply handle {@code reply}. */
    public List<Action<R>> receive(Message message, R reply) {
        if (message.token() == null || !message.token().equals(token)) return refuse(reply, "refused: not a task of this run");
        if (message instanceof Message.Join j) {
            String wrong = wrong(j.launch(), j.member());
            return wrong != null ? refuse(reply, wrong) : join(j.member(), j.address(), reply);
        }
        if (message instanceof Message.Report r) {
            String wrong = wrong(r.launch(), r.member());
            return wrong != null ? refuse(reply, wrong) : report(r, reply);
        }
        return refuse(reply, "refused: " + message.getClass().getSimpleName() + " is not a message for the ring's driver");
    }

    private String wrong(int messageLaunch, int member) {
        if (messageLaunch != launch) return "the stage of launch " + messageLaunch + " was replaced by launch " + launch;
        if (member < 0 || member >= members) return "no member " + member + " in a ring of " + members;
        return null;
    }

    private List<Action<R>> join(int member, String address, R reply) {
        if (addresses[member] != null) return refuse(reply, "member " + member + " joined twice");
        addresses[member] = address;
        waiting.set(member, reply);
        if (++joined < members) return List.of();
        List<Action<R>> actions = new ArrayList<>();
        Message.Ring ring = members == 1 ? Message.Ring.alone()
                : new Message.Ring(java.util.Arrays.asList(addresses).subList(0, members), AllReduce.of(allReduce, members));
        for (int m = 0; m < members; m++) {
            actions.add(new Action.Send<>(waiting.get(m), ring));
            waiting.set(m, null);
        }
        return actions;
    }

    private List<Action<R>> report(Message.Report r, R reply) {
        if (r.member() != REPORTER) return refuse(reply, "member " + r.member() + " reported; only member " + REPORTER + " does");
        if (joined < members) return refuse(reply, "a report of step " + r.step() + " before every member joined");
        if (reported != NONE && r.step() != reported + 1) {
            return refuse(reply, "a report of step " + r.step() + " after step " + reported);
        }
        reported = r.step();
        return List.of(new Action.Reported<>(r.step(), r.totals(), r.state()), new Action.Send<>(reply, new Message.Ack()));
    }

    private List<Action<R>> refuseWaiting(String why) {
        List<Action<R>> actions = new ArrayList<>();
        for (int m = 0; m < waiting.size(); m++) {
            if (waiting.get(m) != null) actions.add(new Action.Refuse<>(waiting.get(m), why));
            waiting.set(m, null);
        }
        return actions;
    }

    private List<Action<R>> refuse(R reply, String why) {
        return List.of(new Action.Refuse<>(reply, why));
    }
}
