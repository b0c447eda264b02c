package sparkprop.collective;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The driver's side of the star ({@link Topology#STAR}), as a state machine: it is told what
 * arrives ({@link #receive}) and what the loop decides ({@link #open} a step, {@link #relaunch}
 * after a failed stage, {@link #end} the epoch), and answers with the {@link Action}s to carry out.
 * It sends nothing itself and knows no network or Spark, so a test drives it with scripted messages.
 *
 * <p>A launch of the stage goes: every member {@code Join}s; once all have, each is answered
 * ({@code Ring}, with no neighbour in a star); each asks for the first step ({@code Ready}) and is
 * sent the open step's whole parameters ({@code Step}); each sends its whole sums ({@code ChunkSum}),
 * which also asks for the next step; when every member's are in, the step is {@link
 * Action.Complete}, and the loop updates and opens the next. {@code End} answers the members
 * waiting when the epoch ends.
 *
 * <p>What is refused, each with the reason: a message without the run's token, from another
 * launch, from a member that does not exist; a second join or ready; sums of a step that is not
 * open, that the member was not given, or that it already sent. Refusing a late or duplicated
 * message changes nothing: only a complete set of this launch's sums of the open step completes it.
 *
 * @param <R> how the caller answers a request (a network reply, or a name in a test)
 */
public final class StepExchange<R> {
    private static final long NONE = Long.MIN_VALUE;

    private final Token token;
    private final int length;
    /** This launch's member count: at most the count the exchange was made for, fewer after task slots were lost. */
    private int members;

    private int launch;
    /** This launch: whether each member joined, its request waiting for an answer, the step it was last sent, its sums of the open step. */
    private final boolean[] joinedMember;
    private final List<R> waiting;
    private final long[] delivered;
    private final byte[][] sums;
    private int joined;
    private int received;

    /** The open step: its number over the run, its place in its epoch, the parameters; NONE before the first. */
    private long step = NONE;
    private int epoch;
    private int stepInEpoch;
    private float[] params;
    /** Every member is sent the same message: made once per step (and launch), not once per member. */
    private Message.Step whole;
    /** Every member's sums of the open step are in (what the loop waits for before opening the next). */
    private boolean complete;
    private boolean ended;

    /** An exchange for {@code members} members and a vector of {@code length} values (the parameters, padded). */
    public StepExchange(Token token, int length, int members) {
        this.token = token;
        this.length = length;
        this.members = members;
        this.joinedMember = new boolean[members];
        this.waiting = new ArrayList<>(java.util.Collections.nCopies(members, null));
        this.delivered = new long[members];
        this.sums = new byte[members][];
        Arrays.fill(delivered, NONE);
    }

    /** The launch whose messages are accepted (0 before the first). */
    public int launch() {
        return launch;
    }

    /** A new launch of the stage: every request of the old one is refused; the open step, unless complete, is sent again to the new members. */
    public List<Action<R>> relaunch() {
        return relaunch(members);
    }

    /** The same with {@code members} members (fewer than before when task slots were lost for good, or as many again). */
    public List<Action<R>> relaunch(int members) {
        if (members < 1 || members > sums.length) throw new IllegalArgumentException(members + " members of at most " + sums.length);
        List<Action<R>> actions = refuseWaiting("the stage was replaced by launch " + (launch + 1));
        this.members = members;
        launch++;
        Arrays.fill(joinedMember, false);
        Arrays.fill(delivered, NONE);
        Arrays.fill(sums, null);
        joined = 0;
        received = 0;
        ended = false;
        return actions;
    }

    /**
     * Opens step {@code step} (counted over the run) with these parameters: each waiting member is sent them. They
     * are read, not copied, until the step is complete (a relaunch sends them again), so the caller must not change them
     * before then; the loop updates only after.
     */
    public List<Action<R>> open(long step, int epoch, int stepInEpoch, float[] params) {
        if (this.step != NONE && !complete) {
            throw new IllegalStateException("step " + step + " opened while step " + this.step + " has " + received + " of " + members + " sums");
        }
        this.step = step;
        this.epoch = epoch;
        this.stepInEpoch = stepInEpoch;
        this.params = params;
        this.whole = null;
        this.complete = false;
        this.ended = false;
        Arrays.fill(sums, null);
        received = 0;
        return deliver();
    }

    /** The members of this launch that have not joined yet. */
    public List<Integer> missing() {
        List<Integer> out = new ArrayList<>();
        for (int m = 0; m < members; m++) if (!joinedMember[m]) out.add(m);
        return out;
    }

    /** The epoch's steps are done: members waiting (and any that ask later in this launch) are told to end. */
    public List<Action<R>> end() {
        ended = true;
        return deliver();
    }

    /** The run is over: every waiting request fails. */
    public List<Action<R>> close() {
        return refuseWaiting("the run ended");
    }

    /** What to do about {@code message}, which arrived with the reply handle {@code reply}. */
    public List<Action<R>> receive(Message message, R reply) {
        if (message.token() == null || !message.token().equals(token)) return refuse(reply, "refused: not a task of this run");
        int from;
        int messageLaunch;
        if (message instanceof Message.Join j) {
            from = j.member();
            messageLaunch = j.launch();
        } else if (message instanceof Message.Ready r) {
            from = r.member();
            messageLaunch = r.launch();
        } else if (message instanceof Message.ChunkSum c) {
            from = c.member();
            messageLaunch = c.launch();
        } else {
            return refuse(reply, "refused: " + message.getClass().getSimpleName() + " is not a message for the star's driver");
        }
        if (messageLaunch != launch) return refuse(reply, "the stage of launch " + messageLaunch + " was replaced by launch " + launch);
        if (from < 0 || from >= members) return refuse(reply, "no member " + from + " in a stage of " + members);
        if (message instanceof Message.Join) return join(from, reply);
        if (message instanceof Message.Ready) return ready(from, reply);
        return sums(from, (Message.ChunkSum) message, reply);
    }

    private List<Action<R>> join(int member, R reply) {
        if (joinedMember[member]) return refuse(reply, "member " + member + " joined twice");
        joinedMember[member] = true;
        waiting.set(member, reply);
        if (++joined < members) return List.of();
        List<Action<R>> actions = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            actions.add(new Action.Send<>(waiting.get(m), Message.Ring.alone()));
            waiting.set(m, null);
        }
        return actions;
    }
    private List<Action<R>> ready(int member, R reply) {
        if (joined < members) return refuse(reply, "member " + member + " is ready before every member joined");
        if (waiting.get(member) != null || delivered[member] != NONE) return refuse(reply, "member " + member + " was ready twice");
        waiting.set(member, reply);
        return deliver();
    }

    private List<Action<R>> sums(int member, Message.ChunkSum sum, R reply) {
        if (ended || complete || sum.step() != step || delivered[member] != step || sums[member] != null) {
            return refuse(reply, "sums of step " + sum.step() + " from member " + member + " while step " + (ended ? "none" : step) + " is open"
                    + (sums[member] != null && sum.step() == step ? " and its sums are in" : ""));
        }
        sums[member] = sum.packed();
        waiting.set(member, reply);
        if (++received < members) return List.of();
        complete = true;
        return List.of(new Action.Complete<>(step, Arrays.copyOf(sums, members)));
    }

    /** Sends the open step (or the end) to every waiting member that has not had it. */
    private List<Action<R>> deliver() {
        List<Action<R>> actions = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            R to = waiting.get(m);
            if (to == null) continue;
            if (ended) {
                actions.add(new Action.Send<>(to, new Message.End()));
            } else if (step != NONE && !complete && delivered[m] != step && joined == members) {
                actions.add(new Action.Send<>(to, stepFor(m)));
                delivered[m] = step;
            } else {
                continue;
            }
            waiting.set(m, null);
        }
        return actions;
    }

    /** The open step's message, the same for every member. */
    private Message.Step stepFor(int member) {
        if (whole == null) whole = new Message.Step(step, epoch, stepInEpoch, Arrays.copyOf(params, length));
        return whole;
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
