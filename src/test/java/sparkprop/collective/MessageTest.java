package sparkprop.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every message through its wire form and back; anything else is refused by name. */
class MessageTest {
    static final Token TOKEN = new Token(0x1234_5678_9abc_def0L, -42);

    @Test
    void everyMessageReadsBackAsItWasWritten() {
        List<Message> all = List.of(new Message.Join(TOKEN, 3, 1, "10.0.0.7:41234"), new Message.Ready(TOKEN, 3, 2),
                new Message.ChunkSum(TOKEN, 3, 0, 12345678901L, new byte[]{1, 2, 3}), new Message.Ring(List.of("h:1", "h:2"), AllReduce.HALVING_DOUBLING), Message.Ring.alone(),
                new Message.Step(7, 1, 2, new float[]{1.5f, -0f, Float.MIN_VALUE}), new Message.End(),
                new Message.Partial(TOKEN, 4, 9, 2, new byte[]{0, 0}), new Message.Gathered(TOKEN, 4, 9, 0, new byte[]{3}), new Message.Ack(),
                new Message.Report(TOKEN, 2, 0, 77, new byte[]{1, 2}, new byte[]{3, 4, 5}), new Message.Report(TOKEN, 2, 0, 78, new byte[24], new byte[0]));
        for (Message m : all) {
            Message back = Message.decode(m.encode());
            assertEquals(m.getClass(), back.getClass());
            assertEquals(m.token(), back.token());
            if (m instanceof Message.ChunkSum c) {
                Message.ChunkSum b = (Message.ChunkSum) back;
                assertEquals(List.of(c.launch(), c.member(), c.step()), List.of(b.launch(), b.member(), b.step()));
                assertArrayEquals(c.packed(), b.packed());
            } else if (m instanceof Message.Step s) {
                Message.Step b = (Message.Step) back;
                assertEquals(List.of(s.step(), s.epoch(), s.stepInEpoch()), List.of(b.step(), b.epoch(), b.stepInEpoch()));
                assertArrayEquals(s.chunk(), b.chunk());
            } else if (m instanceof Message.Partial p) {
                Message.Partial b = (Message.Partial) back;
                assertEquals(List.of(p.launch(), p.step(), p.round()), List.of(b.launch(), b.step(), b.round()));
                assertArrayEquals(p.packed(), b.packed());
            } else if (m instanceof Message.Gathered g) {
                Message.Gathered b = (Message.Gathered) back;
                assertEquals(List.of(g.launch(), g.step(), g.round()), List.of(b.launch(), b.step(), b.round()));
                assertArrayEquals(g.packed(), b.packed());
            } else if (m instanceof Message.Report r) {
                Message.Report b = (Message.Report) back;
                assertEquals(List.of(r.launch(), r.member(), r.step()), List.of(b.launch(), b.member(), b.step()));
                assertArrayEquals(r.totals(), b.totals());
                assertArrayEquals(r.state(), b.state());
            } else {
                assertEquals(m, back);
            }
        }
    }

    @Test
    void whatIsNotAMessageIsRefusedByName() {
        assertEquals("not a step-exchange message: type 42", assertThrows(IllegalArgumentException.class,
                () -> Message.decode(ByteBuffer.wrap(new byte[]{42}))).getMessage());
        ByteBuffer join = new Message.Join(TOKEN, 1, 0, "host:1").encode();
        ByteBuffer cut = join.duplicate().limit(join.limit() - 3);
        assertEquals("a step-exchange message announcing 6 bytes with 3 left", assertThrows(IllegalArgumentException.class,
                () -> Message.decode(cut)).getMessage());
        ByteBuffer longer = ByteBuffer.allocate(join.remaining() + 1).put(join.duplicate()).put((byte) 0).flip();
        assertEquals("a step-exchange message with 1 bytes too many", assertThrows(IllegalArgumentException.class,
                () -> Message.decode(longer)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Message.decode(ByteBuffer.wrap(new byte[]{5, 1, 2})));
    }
}
