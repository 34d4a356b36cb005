from tests import factories


def test_job_list_and_detail_shapes(client, django_assert_max_num_queries):
    node = factories.node('host-1')
    running = factories.job(status='RUNNING', node=node, input_files=[('INPUT_FILE', factories.scale_file())])
    factories.execution(running, node=node)
    with django_assert_max_num_queries(9):
        response = client.get('/v6/jobs/')
    assert response.status_code == 200
    body = response.json()
    assert body['count'] == 1
    item = body['results'][0]
    assert item['status'] == 'RUNNING'
    assert list(item['input_files']) == ['INPUT_FILE']
    detail = client.get(f'/v6/jobs/{running.id}/').json()
    assert detail['execution']['exe_num'] == 1
    assert detail['configuration']['priority'] == 100
    assert detail['resources']['resources']['gpus'] == 0.0
