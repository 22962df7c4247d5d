using CartCrossSell.Engine.Evaluation;

namespace CartCrossSell.Ranking.Training.Tests;

/// <summary>Whether the orders' lines are in the order of addition or a fixed sort order, and what the trainer does with it.</summary>
public class LineOrderTests(December2010 data) : IClassFixture<December2010>
{
    /// <summary>The same orders, each listed in sku order: what a point-of-sale export in catalog order looks like.</summary>
    private IReadOnlyList<EvalOrder> Sorted() =>
        [.. data.Orders.Select(o => o with { Lines = [.. o.Lines.OrderBy(l => l.Sku, StringComparer.Ordinal)] })];

    [Fact]
    public void Invoices_in_the_order_items_were_added_are_not_a_sort_order()
    {
        var order = LineOrder.Measure(data.Orders);
        Assert.False(order.IsSortOrder);
        Assert.InRange(order.Consistency, 0.6, 0.9);
        Assert.True(order.Occurrences >= LineOrder.MinOccurrences, $"{order.Occurrences} occurrences: enough to conclude");
        Assert.False(data.Report.LineOrder.IsSortOrder);
        Assert.True(data.Report.TaskMixes.Count >= 2, "the walk tries more than one mix on invoices");
    }

    [Fact]
    public void The_same_orders_in_sku_order_are_a_sort_order()
    {
        var order = LineOrder.Measure(Sorted());
        Assert.True(order.IsSortOrder);
        Assert.Equal(1.0, order.Consistency);
    }

    [Fact]
    public void Too_few_repeated_pairs_conclude_nothing()
    {
        var few = LineOrder.Measure(Sorted().Take(20));
        Assert.Equal(1.0, few.Consistency);
        Assert.True(few.Occurrences < LineOrder.MinOccurrences, $"{few.Occurrences} occurrences");
        Assert.False(few.IsSortOrder);
    }

    [Fact]
    public void On_lines_in_a_sort_order_the_trainer_fits_random_item_tasks_only()
    {
        var (model, report) = RankerTrainer.Train(Sorted(), null, new RankerTrainerOptions { Trees = 1, Leaves = 2 });
        Assert.True(report.LineOrder.IsSortOrder);
        Assert.Equal(TaskMix.RandomItem, Assert.Single(report.TaskMixes).Mix);
        Assert.Contains("task mix random-item ", model.Description);
        Assert.Equal(1.0, model.Metrics["line_order_consistency"]);
    }

    [Fact]
    public void Mixes_asked_for_without_random_item_tasks_are_fitted_on_a_sort_order_too()
    {
        var asked = new[] { TaskMix.LastAdded, TaskMix.MostlyLastAdded };
        var (_, report) = RankerTrainer.Train(Sorted(), null, new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = asked });
        Assert.True(report.LineOrder.IsSortOrder);
        Assert.NotEmpty(report.TaskMixes);
        Assert.All(report.TaskMixes, t => Assert.Contains(t.Mix, asked));
    }

    [Fact]
    public void Among_mixes_asked_for_a_sort_order_keeps_the_random_item_one()
    {
        var (_, report) = RankerTrainer.Train(Sorted(), null,
            new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = [TaskMix.LastAdded, TaskMix.RandomItem] });
        Assert.Equal(TaskMix.RandomItem, Assert.Single(report.TaskMixes).Mix);
    }
}
