using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Hosting;
using Confluent.Kafka;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// Generated, not enumerated: arbitrary bytes, arbitrary JSON documents and valid-looking events with one extreme
/// field, on every input topic, interleaved with valid cart events and orders, against the running service on the
/// embedded broker and a real redis-server. The process stays alive, every valid cart's value in Redis is what its
/// valid events alone give, the learned rows equal a batch computation over the valid orders alone, and every
/// invalid record is in <c>dead-letters</c> with a kind and a reason. <c>CARTXSELL_HOSTILE_CASES</c> (default 10)
/// sets the number of generated cases, <c>CARTXSELL_HOSTILE_SEED</c> replays a run (the seed is printed).
/// </summary>
public sealed class HostileInputPropertyTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }

    private static readonly string[] Parse = [DeadLetterKinds.Unparseable, DeadLetterKinds.Invalid, DeadLetterKinds.Oversized];

    private static readonly ProductUpserted[] Products = Enumerable.Range(0, 8).Select(i => new ProductUpserted
    {
        Sku = $"p{i}", Title = $"Product {i}", CategoryPath = ["shop", $"leaf{i % 3}"], Price = 5m + i, MarginRate = 0.3,
    }).ToArray();

    /// <summary>One record to send: its topic, key and bytes, and the dead-letter kinds it may get (none: it is valid).</summary>
    private sealed record Input(string Topic, string? Key, byte[]? Value, string[] Kinds)
    {
        public bool Valid => Kinds.Length == 0;
    }

    /// <summary>One generated case: records in send order, the carts' expected values, the valid orders.</summary>
    private sealed record Case(IReadOnlyList<Input> Inputs, IReadOnlyDictionary<string, (decimal Value, long Version)> Carts, IReadOnlyList<OrderCompleted> Orders);

    private static byte[] Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    private static Gen<byte[]> AnyBytes() => Gen.Frequency(
        (8, Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf()),
        (1, Gen.Choose(65_000, 90_000).Select(n => Encoding.UTF8.GetBytes(new string('\u0001', n)))), // oversized, six bytes each when escaped
        (1, Gen.Constant(Array.Empty<byte>())));

    private static Gen<string> JsonDocument(string[] keys)
    {
        var scalar = Gen.OneOf(
            Gen.Elements("null", "true", "0", "-0", "1e308", "-1e308", "99999999999999999999999", "\"\"", "\"itemAdded\"", "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\""),
            Gen.Choose(0, 40).Select(n => JsonSerializer.Serialize(new string('\u2028', n) + "\"\\")));
        var value = Gen.OneOf(scalar, scalar.ListOf().Select(l => "[" + string.Join(",", l) + "]"));
        return Gen.Elements(keys).Zip(value).ListOf().Select(props => "{" + string.Join(",", props.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");
    }

    private static Gen<Case> ACase(int n, DateTimeOffset now)
    {
        var cartKeys = new[] { "eventId", "type", "cartId", "sku", "quantity", "unitPrice", "timestamp", "schemaVersion", "currency" }; // no sessionId: never valid
        var orderKeys = new[] { "eventId", "lines", "timestamp", "schemaVersion", "currency", "cartId" }; // no orderId: never valid
        var extremes = Gen.Elements(Enumerable.Range(0, 9).ToArray());
        var cartGen =
            from carts in Gen.Choose(1, 3)
            from lines in Gen.Choose(1, 4).ArrayOf(carts)
            from views in Gen.Choose(0, 2).ArrayOf(carts)
            from hostileCarts in extremes.Zip(Gen.Choose(0, 1000)).ListOf()
            from bytes in AnyBytes().Zip(Gen.Elements("k", "", "h", new string('k', 2000))).ListOf()
            from docs in JsonDocument(cartKeys).ListOf()
            from orders in Gen.Choose(0, 6).ArrayOf().Select(a => a.Take(3).ToArray())
            from hostileOrders in Gen.Choose(0, 3).Zip(Gen.Choose(0, 1000)).ListOf()
            from orderBytes in AnyBytes().ListOf()
            from orderDocs in JsonDocument(orderKeys).ListOf()
            from catalogBytes in AnyBytes().ListOf()
            from duplicateCart in Gen.Elements(true, false)
            from duplicateOrder in Gen.Elements(true, false)
            from shuffle in Gen.Choose(0, int.MaxValue)
            select Build(n, now, lines, views, hostileCarts, bytes, docs, orders, hostileOrders, orderBytes, orderDocs, catalogBytes, duplicateCart, duplicateOrder, shuffle);
        return cartGen;
    }

    private static Case Build(int n, DateTimeOffset now, int[] lines, int[] views, IReadOnlyList<(int, int)> hostileCarts, IReadOnlyList<(byte[], string)> bytes,
        IReadOnlyList<string> docs, int[] orders, IReadOnlyList<(int, int)> hostileOrders, IReadOnlyList<byte[]> orderBytes, IReadOnlyList<string> orderDocs,
        IReadOnlyList<byte[]> catalogBytes, bool duplicateCart, bool duplicateOrder, int shuffle)
    {
        var random = new Random(shuffle);
        var valid = new List<Input>();
        var carts = new Dictionary<string, (decimal, long)>();
        var cartIds = new List<string>();
        var eventNo = 0;
        CartEvent Event(string cart, CartEventType type, string? sku = null, int? quantity = null, decimal? price = null) => new()
        {
            EventId = $"h{n}-e{eventNo++}", Type = type, CartId = cart, SessionId = "s-" + cart, Sku = sku, VariantId = sku, Quantity = quantity, UnitPrice = price,
            Timestamp = now,
        };
        // Valid carts: distinct products added, views in between; each cart's events stay in order (one key, one partition).
        for (var c = 0; c < lines.Length; c++)
        {
            var cart = $"h{n}-cart{c}";
            cartIds.Add(cart);
            decimal value = 0;
            long applied = 0;
            foreach (var product in Products.OrderBy(_ => random.Next()).Take(lines[c]))
            {
                var quantity = 1 + random.Next(3);
                valid.Add(new Input(Topics.CartEvents, cart, Json(Event(cart, CartEventType.ItemAdded, product.Sku, quantity, product.Price), ContractsJson.Default.CartEvent), []));
                value += quantity * product.Price;
                applied++;
            }
            for (var v = 0; v < views[c]; v++)
            {
                valid.Add(new Input(Topics.CartEvents, cart, Json(Event(cart, CartEventType.CartViewed), ContractsJson.Default.CartEvent), []));
                applied++;
            }
            carts[cart] = (value, applied - 1);
        }
        if (duplicateCart) valid.Add(valid[random.Next(valid.Count)]); // a storefront retry: same eventId, no effect

        var hostile = new List<Input>();
        foreach (var (extreme, pick) in hostileCarts)
        {
            var cart = cartIds[pick % cartIds.Count];
            var e = Event(cart, CartEventType.ItemAdded, Products[pick % Products.Length].Sku, 1, Products[pick % Products.Length].Price);
            var (bad, key, kind) = extreme switch
            {
                0 => (e with { Timestamp = pick % 2 == 0 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue }, cart, DeadLetterKinds.ImplausibleTime),
                1 => (e with { Timestamp = now.AddYears(1 + pick % 50) }, cart, DeadLetterKinds.ImplausibleTime),
                2 => (e with { Quantity = pick % 2 == 0 ? int.MaxValue : -pick }, cart, DeadLetterKinds.Invalid),
                3 => (e with { UnitPrice = pick % 2 == 0 ? -0.01m : 79228162514264337593543950335m }, cart, DeadLetterKinds.Invalid),
                4 => (e with { Sku = new string('s', 129 + pick) }, cart, DeadLetterKinds.Invalid),
                5 => (e with { Sku = $"unknown-{pick}", VariantId = null }, cart, DeadLetterKinds.UnknownSku),
                6 => (e, cartIds[(pick + 1) % cartIds.Count] == cart ? "someone-else" : cartIds[(pick + 1) % cartIds.Count], DeadLetterKinds.KeyMismatch),
                7 => (e with { Currency = "EUR" }, cart, DeadLetterKinds.CurrencyMismatch),
                _ => (e with { Type = CartEventType.QuantityChanged, Quantity = -1, UnitPrice = null }, cart, DeadLetterKinds.Invalid),
            };
            hostile.Add(new Input(Topics.CartEvents, key, Json(bad, ContractsJson.Default.CartEvent), [kind]));
        }
        foreach (var (value, key) in bytes) hostile.Add(new Input(Topics.CartEvents, key, value, Parse));
        foreach (var doc in docs) hostile.Add(new Input(Topics.CartEvents, cartIds[doc.Length % cartIds.Count], Encoding.UTF8.GetBytes(doc), Parse));
        hostile.Add(new Input(Topics.CartEvents, cartIds[0], null, [DeadLetterKinds.Invalid])); // a tombstone

        var validOrders = new List<OrderCompleted>();
        for (var o = 0; o < orders.Length; o++)
        {
            var order = new OrderCompleted
            {
                EventId = $"h{n}-oe{o}", OrderId = $"h{n}-o{o}", Timestamp = now.AddMinutes(-o),
                Lines = Products.OrderBy(_ => random.Next()).Take(1 + orders[o] % 4).Select(p => new OrderLine { Sku = p.Sku, Quantity = 1, UnitPrice = p.Price }).ToArray(),
            };
            validOrders.Add(order);
            valid.Add(new Input(Topics.OrderEvents, order.OrderId, Json(order, ContractsJson.Default.OrderCompleted), []));
        }
        if (duplicateOrder && validOrders.Count > 0) // the same order again (a backfill run twice): learned once
            valid.Add(new Input(Topics.OrderEvents, validOrders[0].OrderId, Json(validOrders[0] with { EventId = "again" }, ContractsJson.Default.OrderCompleted), []));
        foreach (var (extreme, pick) in hostileOrders)
        {
            var order = new OrderCompleted
            {
                EventId = $"h{n}-bad{pick}", OrderId = $"h{n}-bad-o{pick}-{extreme}", Timestamp = now,
                Lines = [new OrderLine { Sku = Products[pick % Products.Length].Sku, Quantity = 1, UnitPrice = 1m }],
            };
            var (bad, key, kind) = extreme switch
            {
                0 => (order with { Timestamp = pick % 2 == 0 ? DateTimeOffset.MinValue : now.AddYears(40 + pick) }, order.OrderId, DeadLetterKinds.ImplausibleTime),
                1 => (order, "cart-" + pick, DeadLetterKinds.KeyMismatch),
                2 => (order with { Lines = [new OrderLine { Sku = "x", Quantity = -pick - 1, UnitPrice = 1m }] }, order.OrderId, DeadLetterKinds.Invalid),
                _ => (order with { Lines = [] }, order.OrderId, DeadLetterKinds.Invalid),
            };
            hostile.Add(new Input(Topics.OrderEvents, key, Json(bad, ContractsJson.Default.OrderCompleted), [kind]));
        }
        foreach (var value in orderBytes) hostile.Add(new Input(Topics.OrderEvents, "o-bytes", value, Parse));
        foreach (var doc in orderDocs) hostile.Add(new Input(Topics.OrderEvents, "o-doc", Encoding.UTF8.GetBytes(doc), Parse));
        // The catalog table logs and counts bad records (never dead-letters them): they must only not break anything.
        foreach (var value in catalogBytes) hostile.Add(new Input(Topics.Catalog, $"garbage-{n}", value, []));

        // Interleave: hostile records at random places; a currency mismatch only after its cart has a line (before, the
        // cart has no currency yet and the event would be valid), so those go after every valid record.
        var inputs = new List<Input>(valid);
        foreach (var h in hostile)
        {
            var after = h.Kinds.Contains(DeadLetterKinds.CurrencyMismatch) ? inputs.Count : random.Next(inputs.Count + 1);
            inputs.Insert(after, h);
        }
        return new Case(inputs, carts, validOrders);
    }

    [Fact]
    public async Task Arbitrary_hostile_records_interleaved_with_valid_events_change_nothing_but_dead_letters()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("CARTXSELL_HOSTILE_CASES"), out var c) ? c : 10;
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("CARTXSELL_HOSTILE_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        output.WriteLine($"{cases} cases, CARTXSELL_HOSTILE_SEED={seed}");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4 + cases / 2));
        var ct = cts.Token;

        using (var publisher = new EventPublisher(_kafka.Options))
        {
            foreach (var p in Products) publisher.Publish(Topics.Catalog, p.Sku, Json(p, ContractsJson.Default.ProductUpserted));
            await publisher.FlushAsync(ct);
        }
        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Critical);
        var learning = new LearningOptions { MaxNeighbors = 5_000 };
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
            Learning = learning,
            Learner = new() { RowPublishInterval = TimeSpan.FromMilliseconds(200) },
        }, loggers);
        await service.StartAsync(ct);

        using var producer = new ProducerBuilder<string?, byte[]?>(new ProducerConfig { BootstrapServers = _kafka.Options.BootstrapServers, EnableIdempotence = true })
            .SetLogHandler((_, _) => { }).Build();
        var batch = new BasketLearner(learning);
        var catalog = new InMemoryCatalog(Products.Select(p => p.ToCatalogItem()));
        var hostileSent = 0;
        for (var n = 0; n < cases; n++)
        {
            // Each case has its own ids and its own seed, derived from the run's.
            var one = ACase(n, DateTimeOffset.UtcNow).Sample(10, new Rnd(seed + (ulong)n), 1)[0];
            var coordinates = new List<(Input Input, int Partition, long Offset)>();
            foreach (var input in one.Inputs)
            {
                var result = await producer.ProduceAsync(input.Topic, new Message<string?, byte[]?> { Key = input.Key, Value = input.Value }, ct);
                coordinates.Add((input, result.Partition.Value, result.Offset.Value));
            }
            hostileSent += one.Inputs.Count(i => !i.Valid);
            foreach (var order in one.Orders) batch.AddOrder(order.Lines.Select(l => l.Sku).ToArray(), order.Timestamp, sku => catalog.Find(sku)?.LeafCategory);

            // A value's version is the offset of the last event applied to its cart: a retried event (the same record
            // sent again) is not applied, so its second send does not count.
            var versions = new Dictionary<string, long>();
            var sent = new HashSet<Input>(ReferenceEqualityComparer.Instance);
            foreach (var (input, _, offset) in coordinates)
                if (input.Topic == Topics.CartEvents && input.Valid && input.Key is { } key && one.Carts.ContainsKey(key) && sent.Add(input))
                    versions[key] = offset;
            foreach (var (cart, _) in one.Carts)
                await Polling.UntilAsync(async () => (await service.Store!.ReadAsync(cart, ct)) is { } v && v.Version >= versions[cart],
                    TimeSpan.FromSeconds(30), () => $"case {n}: cart {cart} at version {versions[cart]}");
            foreach (var (cart, (value, _)) in one.Carts)
            {
                var version = versions[cart];
                var stored = (await service.Store!.ReadAsync(cart, ct))!;
                Assert.True((value, version, "GBP") == (stored.CartValue, stored.Version, stored.Currency),
                    $"case {n}, seed {seed}: cart {cart} is {stored.CartValue} v{stored.Version} {stored.Currency}, expected {value} v{version} GBP");
            }

            var deadLettered = coordinates.Where(x => x.Input.Topic != Topics.Catalog).ToArray();
            Dictionary<(string, int, long), DeadLetter> letters = [];
            await Polling.UntilAsync(() =>
            {
                // At-least-once: a record processed again after a rebalance or a restart (from the last committed offset)
                // is dead-lettered again. Its letters must name the same kind (a reason may quote the clock); a reader keys
                // them by their source coordinates.
                var bySource = TopicProbe.ReadToEnd(_kafka.Options, Topics.DeadLetters, TimeSpan.FromSeconds(30))
                    .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.DeadLetter)!)
                    .GroupBy(d => (d.SourceTopic, d.SourcePartition, d.SourceOffset));
                letters = [];
                foreach (var same in bySource)
                {
                    Assert.True(same.Select(d => d.Kind).Distinct().Count() == 1,
                        $"case {n}, seed {seed}: {same.Key} dead-lettered {same.Count()} times as different kinds");
                    letters[same.Key] = same.First();
                }
                return Task.FromResult(deadLettered.Where(x => !x.Input.Valid).All(x => letters.ContainsKey((x.Input.Topic, x.Partition, x.Offset))));
            }, TimeSpan.FromSeconds(30), () => $"case {n}, seed {seed}: every hostile record dead-lettered ({letters.Count} so far)");
            foreach (var (input, partition, offset) in deadLettered)
            {
                if (input.Valid)
                {
                    Assert.False(letters.ContainsKey((input.Topic, partition, offset)), $"case {n}, seed {seed}: a valid record was dead-lettered: {letters.GetValueOrDefault((input.Topic, partition, offset))?.Reason}");
                    continue;
                }
                var letter = letters[(input.Topic, partition, offset)];
                Assert.True(input.Kinds.Contains(letter.Kind), $"case {n}, seed {seed}: {input.Topic}@{offset} dead-lettered as {letter.Kind} ({letter.Reason}), expected one of {string.Join(", ", input.Kinds)}");
                Assert.False(string.IsNullOrWhiteSpace(letter.Reason));
            }
            Assert.True(service.IsLive, $"case {n}, seed {seed}: a topology stopped");
        }

        if (!batch.RowKeysLearned.Any())
        {
            // No case drew a valid order (possible with few cases): one more, so the comparison below compares something.
            var order = new OrderCompleted
            {
                EventId = "h-last-oe", OrderId = "h-last-o", Timestamp = DateTimeOffset.UtcNow,
                Lines = Products.Take(2).Select(p => new OrderLine { Sku = p.Sku, Quantity = 1, UnitPrice = p.Price }).ToArray(),
            };
            await producer.ProduceAsync(Topics.OrderEvents, new Message<string?, byte[]?> { Key = order.OrderId, Value = JsonSerializer.SerializeToUtf8Bytes(order, ContractsJson.Default.OrderCompleted) }, ct);
            batch.AddOrder(order.Lines.Select(l => l.Sku).ToArray(), order.Timestamp, sku => catalog.Find(sku)?.LeafCategory);
        }
        var difference = "";
        await Polling.UntilAsync(() => Task.FromResult(LearnedRows.SameAsBatch(LearnedRows.Published(_kafka.Options), batch, out difference)),
            TimeSpan.FromSeconds(60), () => $"seed {seed}: the learned rows equal the batch over the valid orders alone ({difference})");
        Assert.True(service.IsLive);
        Assert.Equal(Products.Length, Products.Count(p => service.Catalog.Find(p.Sku) is not null));
        output.WriteLine($"{hostileSent} hostile records over {cases} cases");
    }
}
