package sparkprop.cli;

import java.io.IOException;
import java.util.Map;
import sparkprop.core.BadInputException;
import sparkprop.storage.Location;

/**
 * The {@code --out} folder of a batch job (evaluate, predict --data). It is checked against the
 * job's inputs before Spark starts, the job writes into a folder beside it ({@link #staging}), and
 * {@link #commit} puts that in place only once the job has succeeded: a refusal or a failed job,
 * {@code --overwrite} or not, leaves whatever was there as it was.
 */
final class OutputFolder {
    final Location target;
    /** Where the job writes: a hidden sibling of the target, on the same filesystem so the final rename is cheap. */
    final Location staging;
    private final Location old;

    private OutputFolder(Location target) {
        this.target = target;
        Location parent = target.parent();
        if (parent == null) throw new BadInputException("--out " + target + ": a filesystem's root cannot be an output folder");
        this.staging = parent.child("." + target.name() + ".sparkprop-new");
        this.old = parent.child("." + target.name() + ".sparkprop-old");
    }

    /**
     * Refuses an {@code --out} that is, holds or lies inside one of {@code inputs} (option name to
     * location), that is a training run's folder or one of its files, or that exists without
     * {@code overwrite}; otherwise returns the folder with an empty staging place.
     */
    static OutputFolder claim(Location target, boolean overwrite, Map<String, Location> inputs) throws IOException {
        for (Map.Entry<String, Location> input : inputs.entrySet()) {
            Location in = input.getValue();
            String relation = target.isSameOrInside(in) ? (in.isSameOrInside(target) ? "is" : "lies inside")
                    : in.isSameOrInside(target) ? "holds" : null;
            if (relation != null) {
                throw new BadInputException("--out " + target + ": " + relation + " " + input.getKey() + " " + in
                        + "; choose a folder of its own (nothing was written)");
            }
        }
        if (RunFolder.isRun(target)) {
            throw new BadInputException("--out " + target + ": is a training run's folder (its model and checkpoints would be lost); "
                    + "choose a folder of its own");
        }
        Location parent = target.parent();
        if (parent != null && RunFolder.NAMES.contains(target.name()) && RunFolder.isRun(parent)) {
            throw new BadInputException("--out " + target + ": is a file of the training run in " + parent + "; choose a folder of its own");
        }
        if (target.exists() && !overwrite) throw new BadInputException("--out " + target + ": already exists (use --overwrite to replace it)");
        OutputFolder folder = new OutputFolder(target);
        folder.staging.delete(); // left by a job of ours that died before its commit
        folder.checkWritable();
        return folder;
    }

    /**
     * Fails fast, before the job's work, where the results could not be written: writes and removes a probe in the
     * staging place. A read-only or vanished parent folder is the user's to fix, said in one line.
     */
    private void checkWritable() {
        try {
            staging.mkdirs();
            staging.child("probe").write(new byte[0]);
            staging.delete();
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("--out " + target + ": cannot write in " + target.parent() + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")) + "); choose a folder you can write to"
                    + " (nothing was written)");
        }
    }

    /** The job's inputs by option name, in the order they are checked and named in messages. */
    static Map<String, Location> inputs(Location data, Location model) {
        Map<String, Location> inputs = new java.util.LinkedHashMap<>();
        inputs.put("--data", data);
        inputs.put("--model", model);
        return inputs;
    }

    /** Puts the finished output in place; an old folder (--overwrite) is removed only now. */
    void commit() throws IOException {
        if (target.exists()) {
            old.delete();
            target.moveTo(old);
            staging.moveTo(target);
            old.delete();
        } else {
            staging.moveTo(target);
        }
    }

    /** After a failed job: removes what it wrote beside the target; the target is untouched. */
    void abandon() {
        try {
            staging.delete();
        } catch (IOException | RuntimeException e) {
            System.err.println("warning: could not remove " + staging + " (" + e.getMessage() + ")");
        }
    }
}
