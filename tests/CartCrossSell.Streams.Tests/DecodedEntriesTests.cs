using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Streams.Tests;

public sealed class DecodedEntriesTests
{
    private sealed class Text(string value)
    {
        public string Value { get; } = value;
    }

    private sealed class TextCodec : IValueCodec<Text>
    {
        public Decoded<Text> Decode(ReadOnlySpan<byte> bytes) => Decoded<Text>.Success(new Text(Encoding.UTF8.GetString(bytes)));
        public byte[] Encode(Text value) => Encoding.UTF8.GetBytes(value.Value);
    }

    /// <summary>A codec that throws on some bytes instead of answering a failure (as the model codec did on a bad string length).</summary>
    private sealed class ThrowingCodec : IValueCodec<Text>
    {
        public Decoded<Text> Decode(ReadOnlySpan<byte> bytes) =>
            bytes.StartsWith("!"u8) ? throw new FormatException("the codec's own exception") : new TextCodec().Decode(bytes);
        public byte[] Encode(Text value) => Encoding.UTF8.GetBytes(value.Value);
    }

    [Fact]
    public void A_codec_that_throws_on_a_record_is_counted_as_not_decoding_and_reading_goes_on()
    {
        var entries = new DecodedEntries<Text>("topic", new ThrowingCodec(), NullLogger.Instance);
        entries.Apply("a", "first"u8.ToArray());
        entries.Apply("a", "! replacement"u8.ToArray()); // the reader of a global store would die here at every start
        entries.Apply("b", "second"u8.ToArray());

        Assert.Equal(("first", "second"), (entries.Find("a")!.Value, entries.Find("b")!.Value));
        Assert.Equal((2L, 1L), (entries.Applied, entries.Rejected));
    }

    [Fact]
    public void A_value_refused_under_its_key_and_a_record_without_a_key_are_counted_and_change_nothing()
    {
        var changes = 0;
        var entries = new DecodedEntries<Text>("topic", new TextCodec(), NullLogger.Instance,
            refuse: (key, value) => value.Value.StartsWith(key, StringComparison.Ordinal) ? null : "not its key");
        entries.Changed += (_, _, _) => changes++;

        entries.Apply("a", "a: first"u8.ToArray());
        entries.Apply("a", "b: under another key"u8.ToArray());
        entries.Apply(null, "a: no key"u8.ToArray());

        Assert.Equal("a: first", entries.Find("a")!.Value);
        Assert.Equal((1L, 2L, 1), (entries.Applied, entries.Rejected, changes));
    }

    /// <summary>
    /// A secondary index (the catalog by category, the rules in force) is kept by the change handlers: a record one of
    /// them refuses must leave the table where the index is, or the two answer differently from then on.
    /// </summary>
    [Fact]
    public void A_record_a_change_handler_refuses_leaves_the_table_as_it_was()
    {
        var entries = new DecodedEntries<Text>("topic", new TextCodec(), NullLogger.Instance);
        var index = new Dictionary<string, string>();
        entries.Changed += (key, _, current) =>
        {
            if (current?.Value.StartsWith("bad", StringComparison.Ordinal) == true) throw new FormatException("refused by the index");
            if (current is null) index.Remove(key);
            else index[key] = current.Value;
        };

        entries.Apply("a", "first"u8.ToArray());
        entries.Apply("a", "bad replacement"u8.ToArray());
        entries.Apply("b", "bad newcomer"u8.ToArray());
        entries.Apply("c", "kept"u8.ToArray());

        Assert.Equal("first", entries.Find("a")!.Value);
        Assert.Null(entries.Find("b"));
        Assert.False(entries.Contains("b"));
        Assert.Equal(index.OrderBy(p => p.Key), entries.Entries.Select(e => KeyValuePair.Create(e.Key, e.Value.Value)).OrderBy(p => p.Key));
        Assert.Equal((2L, 2L), (entries.Applied, entries.Rejected));
    }
}
